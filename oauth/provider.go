package oauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/ory/fosite"

	"github.com/lineage-oss/lineage/jwks"
	"github.com/lineage-oss/lineage/secrets"
	"github.com/lineage-oss/lineage/store"
)

// Options configure the Provider.
type Options struct {
	// Issuer is the issuer URL (iss); TokenURL is Issuer + "/token".
	Issuer string
	// AccessTTL is the default access-token lifetime.
	AccessTTL time.Duration
	// DefaultAudience is the aud of tokens whose client has no audiences
	// and requested none (tokens.default_audience, else the issuer).
	DefaultAudience string
	// Leeway is the clock skew allowed when checking client assertions.
	Leeway time.Duration
	Now    func() time.Time
	Rand   io.Reader
}

// Provider is lineage's OAuth 2.0 token endpoint on fosite.
type Provider struct {
	fosite  fosite.OAuth2Provider
	auth    *clientAuthenticator
	clients ClientSource
	keys    *jwks.Set
	issuer  string
	leeway  time.Duration
	now     func() time.Time
}

// New composes the Provider.
func New(opts Options, clients ClientSource, nonces store.Nonces, keys *jwks.Set, mac *secrets.MAC) (*Provider, error) {
	if opts.Issuer == "" || opts.AccessTTL <= 0 || opts.Now == nil || opts.Rand == nil {
		return nil, errors.New("oauth: Issuer, AccessTTL, Now and Rand are required")
	}
	tokenURL := opts.Issuer + "/token"
	audience := opts.DefaultAudience
	if audience == "" {
		audience = opts.Issuer
	}
	auth := &clientAuthenticator{
		clients:   clients,
		nonces:    nonces,
		mac:       mac,
		audiences: []string{tokenURL, opts.Issuer},
		leeway:    opts.Leeway,
		now:       opts.Now,
	}
	tokens := &AccessTokens{issuer: opts.Issuer, keys: keys, now: opts.Now, rand: opts.Rand}
	cfg := &fosite.Config{
		AccessTokenIssuer:            opts.Issuer,
		IDTokenIssuer:                opts.Issuer,
		TokenURL:                     tokenURL,
		AccessTokenLifespan:          opts.AccessTTL,
		ClientAuthenticationStrategy: auth.authenticate,
		ScopeStrategy:                fosite.ExactScopeStrategy,
		AudienceMatchingStrategy:     fosite.ExactAudienceMatchingStrategy,
		SendDebugMessagesToClients:   false,
	}
	cfg.TokenEndpointHandlers = fosite.TokenEndpointHandlers{
		&clientCredentialsGrant{tokens: tokens, accessTTL: opts.AccessTTL, defaultAudience: []string{audience}, now: opts.Now},
		&unsupportedGrant{known: []string{GrantClientCredentials}},
	}
	return &Provider{
		fosite:  fosite.NewOAuth2Provider(&fositeStorage{clients: clients, nonces: nonces}, cfg),
		auth:    auth,
		clients: clients,
		keys:    keys,
		issuer:  opts.Issuer,
		leeway:  opts.Leeway,
		now:     opts.Now,
	}, nil
}

// Token handles a token request (RFC 6749 §3.2) and writes the response
// (RFC 6749 §5.1). It returns a *fosite.RFC6749Error for the caller to
// render when the request fails; nothing has been written then.
func (p *Provider) Token(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	req, err := p.fosite.NewAccessRequest(ctx, r, &Session{})
	if err != nil {
		return err
	}
	resp, err := p.fosite.NewAccessResponse(ctx, req)
	if err != nil {
		return err
	}
	p.fosite.WriteAccessResponse(ctx, w, req, resp)
	return nil
}

// fositeStorage is the storage fosite itself calls: clients, and the jti
// replay cache for client assertions.
type fositeStorage struct {
	clients ClientSource
	nonces  store.Nonces
}

var _ fosite.ClientManager = (*fositeStorage)(nil)

// GetClient implements fosite.ClientManager.
func (s *fositeStorage) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	return getClient(ctx, s.clients, id)
}

// ClientAssertionJWTValid implements fosite.ClientManager. lineage checks
// and records assertion jtis atomically in ClaimNonce instead.
func (s *fositeStorage) ClientAssertionJWTValid(context.Context, string) error {
	return nil
}

// SetClientAssertionJWT implements fosite.ClientManager.
func (s *fositeStorage) SetClientAssertionJWT(ctx context.Context, jti string, exp time.Time) error {
	fresh, err := s.nonces.ClaimNonce(ctx, "client_assertion:"+jti, exp)
	if err != nil {
		return fmt.Errorf("oauth: record assertion: %w", err)
	}
	if !fresh {
		return fosite.ErrJTIKnown
	}
	return nil
}
