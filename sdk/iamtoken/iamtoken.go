// Package iamtoken provides an [oauth2.TokenSource] for workloads that hold
// IAM credentials: it obtains lineage access tokens with CreateTokenWithIAM
// (POST /token?aws_iam=t, SigV4 with signing name sso-oauth) through the
// unmodified aws-sdk-go-v2 ssooidc client, and gets a new token
// ExpiryWindow before the current one expires.
//
// Grants: client_credentials (the default: the token's subject is the
// calling IAM principal), jwt-bearer (an assertion from one of the
// application's trusted token issuers, fetched anew for each token), and
// refresh_token (starting from a refresh token the workload already holds).
// Whenever a response carries a refresh token, the source refreshes with it
// next time, and falls back to its own grant when the refresh token is
// refused.
//
// The credentials come from any [aws.CredentialsProvider], e.g. the
// providers of package github.com/lineage-oss/lineage/sdk/credentials.
// The package imports nothing of the server.
package iamtoken

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc/types"
	"golang.org/x/oauth2"
)

// Grant types a Source can use.
const (
	GrantClientCredentials = "client_credentials"
	GrantJWTBearer         = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	GrantRefreshToken      = "refresh_token"
)

// DefaultRegion is the SigV4 region when Options.Region is empty (lineage's
// default iam.region).
const DefaultRegion = "us-east-1"

// DefaultExpiryWindow is how long before a token expires a new one is
// obtained when Options.ExpiryWindow is zero.
const DefaultExpiryWindow = time.Minute

// ErrInvalidOptions wraps every problem Options.Validate finds.
var ErrInvalidOptions = errors.New("iamtoken: invalid options")

// Options configure a token source.
type Options struct {
	// Issuer is lineage's issuer URL, e.g. https://id.example.com.
	Issuer string
	// Region is the SigV4 signing region (lineage's iam.region);
	// DefaultRegion if empty.
	Region string
	// Credentials sign the calls.
	Credentials aws.CredentialsProvider
	// ClientID is the application (its clientId).
	ClientID string
	// Scopes are requested with each token (none: the application's
	// defaults).
	Scopes []string
	// GrantType is GrantClientCredentials (the default), GrantJWTBearer or
	// GrantRefreshToken.
	GrantType string
	// Assertion returns a fresh assertion for GrantJWTBearer.
	Assertion func(ctx context.Context) (string, error)
	// RefreshToken is the refresh token GrantRefreshToken starts from.
	RefreshToken string
	// ExpiryWindow is how long before expiry to get a new token;
	// DefaultExpiryWindow if zero.
	ExpiryWindow time.Duration
	// HTTPClient sends the requests; the SDK's default if nil.
	HTTPClient aws.HTTPClient
}

// Validate reports every missing or invalid field at once.
func (o Options) Validate() error {
	var errs []error
	if o.Issuer == "" {
		errs = append(errs, errors.New("Issuer is required"))
	}
	if o.Credentials == nil {
		errs = append(errs, errors.New("Credentials is required"))
	}
	if o.ClientID == "" {
		errs = append(errs, errors.New("ClientID is required"))
	}
	switch o.GrantType {
	case "", GrantClientCredentials:
	case GrantJWTBearer:
		if o.Assertion == nil {
			errs = append(errs, errors.New("Assertion is required for the jwt-bearer grant"))
		}
	case GrantRefreshToken:
		if o.RefreshToken == "" {
			errs = append(errs, errors.New("RefreshToken is required for the refresh_token grant"))
		}
	default:
		errs = append(errs, fmt.Errorf("GrantType %q is not one of client_credentials, jwt-bearer, refresh_token", o.GrantType))
	}
	if o.ExpiryWindow < 0 {
		errs = append(errs, fmt.Errorf("ExpiryWindow %v is negative", o.ExpiryWindow))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalidOptions, errors.Join(errs...))
}

// New returns a token source, safe for concurrent use, that makes its calls
// with ctx.
func New(ctx context.Context, o Options) (oauth2.TokenSource, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	if o.GrantType == "" {
		o.GrantType = GrantClientCredentials
	}
	if o.ExpiryWindow == 0 {
		o.ExpiryWindow = DefaultExpiryWindow
	}
	client := ssooidc.New(ssooidc.Options{
		Region:       o.Region,
		BaseEndpoint: aws.String(o.Issuer),
		Credentials:  o.Credentials,
		HTTPClient:   o.HTTPClient,
	})
	src := &source{ctx: ctx, client: client, opts: o, refresh: o.RefreshToken}
	return oauth2.ReuseTokenSourceWithExpiry(nil, src, o.ExpiryWindow), nil
}

// source calls CreateTokenWithIAM each time oauth2's reuse wrapper needs a
// token.
type source struct {
	ctx    context.Context
	client *ssooidc.Client
	opts   Options

	mu      sync.Mutex
	refresh string // the refresh token to use next, if any
}

// Token implements oauth2.TokenSource.
func (s *source) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refresh != "" {
		tok, err := s.create(&ssooidc.CreateTokenWithIAMInput{GrantType: aws.String(GrantRefreshToken), RefreshToken: aws.String(s.refresh)})
		var refused *types.InvalidGrantException
		if err == nil || !errors.As(err, &refused) || s.opts.GrantType == GrantRefreshToken {
			return tok, err
		}
		s.refresh = "" // spent or revoked: start again with the source's own grant
	}
	in := &ssooidc.CreateTokenWithIAMInput{GrantType: aws.String(s.opts.GrantType)}
	if s.opts.GrantType == GrantJWTBearer {
		assertion, err := s.opts.Assertion(s.ctx)
		if err != nil {
			return nil, fmt.Errorf("iamtoken: assertion: %w", err)
		}
		in.Assertion = aws.String(assertion)
	}
	return s.create(in)
}

// create makes one CreateTokenWithIAM call and keeps the refresh token it
// returns.
func (s *source) create(in *ssooidc.CreateTokenWithIAMInput) (*oauth2.Token, error) {
	in.ClientId = aws.String(s.opts.ClientID)
	in.Scope = s.opts.Scopes
	out, err := s.client.CreateTokenWithIAM(s.ctx, in)
	if err != nil {
		return nil, fmt.Errorf("iamtoken: CreateTokenWithIAM (%s): %w", aws.ToString(in.GrantType), err)
	}
	if out.RefreshToken != nil {
		s.refresh = aws.ToString(out.RefreshToken)
	}
	tok := &oauth2.Token{
		AccessToken: aws.ToString(out.AccessToken),
		TokenType:   aws.ToString(out.TokenType),
		Expiry:      time.Now().Add(time.Duration(out.ExpiresIn) * time.Second),
	}
	if out.IdToken != nil {
		tok = tok.WithExtra(map[string]any{"id_token": aws.ToString(out.IdToken)})
	}
	return tok, nil
}
