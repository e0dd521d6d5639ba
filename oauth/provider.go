package oauth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/ory/fosite"

	"github.com/lineage-oss/lineage/jwks"
	"github.com/lineage-oss/lineage/ratelimit"
	"github.com/lineage-oss/lineage/revocation"
	"github.com/lineage-oss/lineage/secrets"
	"github.com/lineage-oss/lineage/store"
)

// Options configure the Provider.
type Options struct {
	// Issuer is the issuer URL (iss); TokenURL is Issuer + "/token".
	Issuer string
	// AccessTTL and IDTTL are the default access- and ID-token lifetimes.
	AccessTTL time.Duration
	IDTTL     time.Duration
	// RefreshIdleTTL ends a refresh family unused for that long;
	// RefreshMaxTTL ends it that long after the original grant.
	RefreshIdleTTL time.Duration
	RefreshMaxTTL  time.Duration
	// DefaultAudience is the aud of tokens whose client has no audiences
	// and requested none (tokens.default_audience, else the issuer).
	DefaultAudience string
	// Leeway is the clock skew allowed when checking client assertions.
	Leeway time.Duration
	// RefreshReuseGrace is how long after its rotation a refresh token may
	// be presented again without revoking its lineage (it is refused all
	// the same).
	RefreshReuseGrace time.Duration
	Now               func() time.Time
	Rand              io.Reader
	// VerifiedTokens is how many verified access tokens the Provider
	// remembers (by the SHA-256 of the token, with their claims), so that
	// introspecting or presenting a token again costs a hash instead of a
	// signature check and a JSON decode; 0 remembers none. A remembered
	// token counts only while its key is published; its times and the
	// revocation set are checked on every use.
	VerifiedTokens int
	// Observer is told of tokens issued and reuse detected (nil: nobody).
	Observer Observer
	// Logger receives security events (reuse of a refresh token or an
	// authorization code); never a token.
	Logger *slog.Logger
}

// Observer receives what the Provider does, for metrics.
type Observer interface {
	// TokenIssued is called for each successful token response, by grant
	// type.
	TokenIssued(grant string)
	// Reused is called when a rotated refresh token ("refresh_token") or
	// a used authorization code ("authorization_code") comes back.
	Reused(token string)
}

type nopObserver struct{}

func (nopObserver) TokenIssued(string) {}
func (nopObserver) Reused(string)      {}

// UserSource finds end users (users.Directory).
type UserSource interface {
	Get(ctx context.Context, username string) (store.User, error)
}

// Deps are the Provider's stores and collaborators.
type Deps struct {
	Clients ClientSource
	Users   UserSource
	Nonces  store.Nonces
	Codes   store.AuthorizationCodes
	Refresh store.RefreshTokens
	Keys    *jwks.Set
	// MAC checks client secrets (the client-secret subkey).
	MAC *secrets.MAC
	// Revocations is the revocation set every token is checked against.
	Revocations *revocation.Set
	// IAMPolicies re-evaluates IAM-minted tokens at use (nil: not at all).
	IAMPolicies IAMPolicies
	// Guard decides sso-oauth:CreateToken for the standard grants at
	// every use (nil: no policy applies).
	Guard Guard
	// HTTPClient fetches the JWK Sets of trusted token issuers (jwt-bearer;
	// nil: a client with a 5 s timeout). Only https URLs are fetched.
	HTTPClient *http.Client
	// Limits are the rate limits of /token per client and of failed
	// client authentication (nil: none).
	Limits *ratelimit.Limiter
}

// Provider is lineage's OAuth 2.0 / OpenID Connect core on fosite.
type Provider struct {
	fosite          fosite.OAuth2Provider
	auth            *clientAuthenticator
	clients         ClientSource
	users           UserSource
	codes           store.AuthorizationCodes
	refresh         store.RefreshTokens
	keys            *jwks.Set
	revocations     *revocation.Set
	iamPolicies     IAMPolicies
	verified        *lru.Cache[[sha256.Size]byte, verifiedToken]
	tokens          *AccessTokens
	defaultAudience string
	guard           createTokenGuard
	nonces          store.Nonces
	issuerKeys      *issuerKeys
	limits          *ratelimit.Limiter
	opts            Options
}

// New composes the Provider.
func New(opts Options, d Deps) (*Provider, error) {
	if opts.Issuer == "" || opts.AccessTTL <= 0 || opts.Now == nil || opts.Rand == nil || opts.Logger == nil {
		return nil, errors.New("oauth: Issuer, AccessTTL, Now, Rand and Logger are required")
	}
	if d.Revocations == nil {
		return nil, errors.New("oauth: the revocation set is required")
	}
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	if opts.IDTTL <= 0 {
		opts.IDTTL = opts.AccessTTL
	}
	tokenURL := opts.Issuer + "/token"
	audience := opts.DefaultAudience
	if audience == "" {
		audience = opts.Issuer
	}
	auth := &clientAuthenticator{
		clients:   d.Clients,
		nonces:    d.Nonces,
		mac:       d.MAC,
		audiences: []string{tokenURL, opts.Issuer},
		leeway:    opts.Leeway,
		now:       opts.Now,
		limits:    d.Limits,
	}
	tokens := &AccessTokens{issuer: opts.Issuer, keys: d.Keys, now: opts.Now, rand: opts.Rand}
	p := &Provider{
		auth: auth, clients: d.Clients, users: d.Users, codes: d.Codes, refresh: d.Refresh, keys: d.Keys,
		revocations: d.Revocations, iamPolicies: d.IAMPolicies, tokens: tokens, defaultAudience: audience, opts: opts,
		guard:  newCreateTokenGuard(d.Guard, d.Users),
		nonces: d.Nonces, issuerKeys: newIssuerKeys(d.HTTPClient, opts.Now), limits: d.Limits,
	}
	if opts.VerifiedTokens > 0 {
		cache, err := lru.New[[sha256.Size]byte, verifiedToken](opts.VerifiedTokens)
		if err != nil {
			return nil, fmt.Errorf("oauth: verified-token cache: %w", err)
		}
		p.verified = cache
	}
	cfg := &fosite.Config{
		AccessTokenIssuer:            opts.Issuer,
		IDTokenIssuer:                opts.Issuer,
		TokenURL:                     tokenURL,
		AccessTokenLifespan:          opts.AccessTTL,
		ClientAuthenticationStrategy: p.authenticateTokenClient,
		ScopeStrategy:                fosite.ExactScopeStrategy,
		AudienceMatchingStrategy:     fosite.ExactAudienceMatchingStrategy,
		SendDebugMessagesToClients:   false,
	}
	cfg.TokenEndpointHandlers = fosite.TokenEndpointHandlers{
		&clientCredentialsGrant{tokens: tokens, accessTTL: opts.AccessTTL, defaultAudience: []string{audience}, now: opts.Now},
		&authorizationCodeGrant{p: p},
		&refreshTokenGrant{p: p},
		&unsupportedGrant{known: []string{GrantClientCredentials, GrantAuthorizationCode, GrantRefreshToken}},
	}
	p.fosite = fosite.NewOAuth2Provider(&fositeStorage{clients: d.Clients, nonces: d.Nonces}, cfg)
	return p, nil
}

// Token handles a token request (RFC 6749 §3.2) and writes the response
// (RFC 6749 §5.1). It returns a *fosite.RFC6749Error for the caller to
// render when the request fails; nothing has been written then.
func (p *Provider) Token(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	req, err := p.fosite.NewAccessRequest(ctx, r, &Session{})
	if err != nil {
		return err
	}
	if err := p.guardToken(ctx, req); err != nil {
		return err
	}
	resp, err := p.fosite.NewAccessResponse(ctx, req)
	if err != nil {
		return err
	}
	p.fosite.WriteAccessResponse(ctx, w, req, resp)
	p.opts.Observer.TokenIssued(req.GetGrantTypes()[0])
	return nil
}

// authenticateTokenClient authenticates the client of a /token request
// and counts the request against the client's TokenPerClient limit, so
// that only authenticated clients are counted, each under its own id.
func (p *Provider) authenticateTokenClient(ctx context.Context, r *http.Request, form url.Values) (fosite.Client, error) {
	c, err := p.auth.authenticate(ctx, r, form)
	if err != nil {
		return nil, err
	}
	if err := p.limits.Token(ctx, c.GetID()); err != nil {
		return nil, err
	}
	return c, nil
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
