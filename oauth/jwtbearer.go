package oauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/ory/fosite"

	"github.com/lineage-oss/lineage/store"
)

// Limits of the jwt-bearer grant (RFC 7523 §2.1, §3).
const (
	// maxBearerLifetime bounds how far in the future an assertion may
	// expire, counted from now and from its iat: assertions are
	// short-lived, and the replay cache keeps their jti that long.
	maxBearerLifetime = 10 * time.Minute
	// maxAssertionBytes bounds the assertion parsed.
	maxAssertionBytes = 16 << 10
	// maxAssertionIDBytes bounds the jti (a replay-cache key).
	maxAssertionIDBytes = 256
	// maxJWKSBytes bounds a fetched JWK Set.
	maxJWKSBytes = 256 << 10
	// jwksFetchTimeout bounds one fetch of a JWK Set.
	jwksFetchTimeout = 5 * time.Second
	// jwksMaxAge is how long a fetched JWK Set is used before it is
	// fetched again.
	jwksMaxAge = 5 * time.Minute
	// jwksMinRefetch is the least time between two fetches of one JWK Set:
	// an assertion naming an unknown kid fetches it again early, but no
	// more often than this, and a failed fetch is retried no sooner.
	jwksMinRefetch = 30 * time.Second
)

// bearerAlgorithms are the only signature algorithms an assertion may use:
// asymmetric ones, so that a key published in a JWK Set can only verify
// (never "none", never HS*).
var bearerAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA}

// keyHeaders are JWS header parameters that carry or point at a key, or
// extensions lineage does not understand (RFC 7515 §4.1): an assertion
// with any of them is refused, whatever its signature.
var keyHeaders = []string{"jwk", "jku", "x5u", "x5c", "crit"}

// errBadAssertion is the answer for an assertion whose signature, header or
// issuer is wrong: no detail about which.
var errBadAssertion = fosite.ErrInvalidGrant.WithHint("The assertion is invalid or not from a trusted issuer of the application.")

// assertionClaims are the claims of a verified jwt-bearer assertion that
// lineage uses.
type assertionClaims struct {
	issuer  string
	subject string // the trusted issuer's user_claim
	id      string // jti
	expiry  time.Time
}

// issuerKeys resolves the key sets of trusted token issuers: inline, or
// fetched over https from their jwks_uri and cached (jwksMaxAge,
// jwksMinRefetch).
type issuerKeys struct {
	client *http.Client
	now    func() time.Time
	mu     sync.Mutex
	sets   map[string]*fetchedKeys // by jwks_uri
}

// fetchedKeys is one cached JWK Set; mu serializes its fetches.
type fetchedKeys struct {
	mu      sync.Mutex
	set     *jose.JSONWebKeySet
	fetched time.Time // last successful fetch
	tried   time.Time // last attempt
}

// newIssuerKeys returns a cache that fetches with client, following
// redirects only to https URLs.
func newIssuerKeys(client *http.Client, now func() time.Time) *issuerKeys {
	if client == nil {
		client = &http.Client{Timeout: jwksFetchTimeout}
	}
	c := *client
	next := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "https" {
			return errors.New("oauth: a JWK Set is fetched over https only")
		}
		if len(via) >= 5 {
			return errors.New("oauth: too many redirects")
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return &issuerKeys{client: &c, now: now, sets: map[string]*fetchedKeys{}}
}

// keys returns the key set of t. For a jwks_uri, a cached set is used
// while younger than jwksMaxAge; refresh (an unknown kid) asks for a new
// fetch, which happens only jwksMinRefetch after the last attempt. When a
// fetch fails the cached set, if any, is still used.
func (k *issuerKeys) keys(ctx context.Context, t store.TrustedTokenIssuer, refresh bool) (*jose.JSONWebKeySet, error) {
	if t.JWKSURI == "" {
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(t.JWKS, &set); err != nil {
			return nil, fmt.Errorf("oauth: trusted issuer's jwks: %w", err)
		}
		return &set, nil
	}
	k.mu.Lock()
	entry, ok := k.sets[t.JWKSURI]
	if !ok {
		entry = &fetchedKeys{}
		k.sets[t.JWKSURI] = entry
	}
	k.mu.Unlock()

	entry.mu.Lock()
	defer entry.mu.Unlock()
	now := k.now()
	due := entry.set == nil || now.Sub(entry.fetched) >= jwksMaxAge || refresh
	if due && (entry.tried.IsZero() || now.Sub(entry.tried) >= jwksMinRefetch) {
		entry.tried = now
		set, err := k.fetch(ctx, t.JWKSURI)
		if err == nil {
			entry.set, entry.fetched = set, now
		} else if entry.set == nil {
			return nil, err
		}
	}
	if entry.set == nil {
		return nil, errors.New("oauth: the trusted issuer's JWK Set could not be fetched recently")
	}
	return entry.set, nil
}

// fetch GETs a JWK Set: https only, jwksFetchTimeout, at most maxJWKSBytes.
func (k *issuerKeys) fetch(ctx context.Context, uri string) (*jose.JSONWebKeySet, error) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, errors.New("oauth: a trusted issuer's jwks_uri must be an https URL")
	}
	ctx, cancel := context.WithTimeout(ctx, jwksFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, fmt.Errorf("oauth: fetch JWK Set: %w", err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("oauth: fetch JWK Set: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("oauth: fetch JWK Set %s: status %d", uri, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("oauth: fetch JWK Set: %w", err)
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("oauth: JWK Set %s is larger than %d bytes", uri, maxJWKSBytes)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("oauth: JWK Set %s: %w", uri, err)
	}
	return &set, nil
}

// verifyBearerAssertion verifies a jwt-bearer assertion (RFC 7523 §3)
// against the client's trusted token issuers: an asymmetric signature
// (bearerAlgorithms) by a key of the issuer its iss names exactly, with no
// key-carrying header; aud containing the issuer's configured audience
// exactly; exp present, passed by no more than the leeway and at most
// maxBearerLifetime after now and after iat; nbf and iat not in the future
// (leeway); a jti; and the user claim a non-empty string. It does not
// claim the jti: the caller does, once everything else is checked.
func (p *Provider) verifyBearerAssertion(ctx context.Context, client *Client, assertion string) (assertionClaims, error) {
	if len(assertion) > maxAssertionBytes || !cleanHeader(assertion) {
		return assertionClaims{}, errBadAssertion
	}
	tok, err := jwt.ParseSigned(assertion, bearerAlgorithms)
	if err != nil || len(tok.Headers) != 1 {
		return assertionClaims{}, errBadAssertion
	}
	h := tok.Headers[0]
	if h.JSONWebKey != nil {
		return assertionClaims{}, errBadAssertion
	}
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil || unverified.Issuer == "" {
		return assertionClaims{}, errBadAssertion
	}
	var trusted *store.TrustedTokenIssuer
	for i := range client.TrustedTokenIssuers {
		if client.TrustedTokenIssuers[i].Issuer == unverified.Issuer {
			trusted = &client.TrustedTokenIssuers[i]
			break
		}
	}
	if trusted == nil {
		return assertionClaims{}, errBadAssertion
	}

	var claims jwt.Claims
	var all map[string]any
	verified := false
	for attempt := 0; attempt < 2 && !verified; attempt++ {
		set, err := p.issuerKeys.keys(ctx, *trusted, attempt > 0)
		if err != nil {
			p.opts.Logger.WarnContext(ctx, "jwt-bearer: trusted issuer's keys unavailable",
				"client_id", client.ID, "issuer", trusted.Issuer, "error", err)
			return assertionClaims{}, fosite.ErrTemporarilyUnavailable.WithHint("The trusted issuer's keys could not be read.")
		}
		known := false
		for _, key := range set.Keys {
			if h.KeyID != "" && key.KeyID != h.KeyID {
				continue
			}
			known = true
			if !keyFits(key, h.Algorithm) {
				continue
			}
			claims, all = jwt.Claims{}, nil
			if err := tok.Claims(key.Key, &claims, &all); err == nil {
				verified = true
				break
			}
		}
		// Only an unknown kid of a fetched set is worth a new fetch.
		if known || trusted.JWKSURI == "" || h.KeyID == "" {
			break
		}
	}
	if !verified || claims.Issuer != trusted.Issuer {
		return assertionClaims{}, errBadAssertion
	}

	now := p.opts.Now()
	leeway := p.opts.Leeway
	switch {
	case !claims.Audience.Contains(trusted.Audience):
		return assertionClaims{}, fosite.ErrInvalidGrant.WithHint("The assertion's aud does not name this issuer's configured audience.")
	case claims.Expiry == nil:
		return assertionClaims{}, fosite.ErrInvalidGrant.WithHint("The assertion has no exp.")
	case claims.ID == "" || len(claims.ID) > maxAssertionIDBytes:
		return assertionClaims{}, fosite.ErrInvalidGrant.WithHint("The assertion has no jti.")
	}
	expiry := claims.Expiry.Time()
	if expiry.After(now.Add(maxBearerLifetime)) ||
		(claims.IssuedAt != nil && expiry.Sub(claims.IssuedAt.Time()) > maxBearerLifetime) {
		return assertionClaims{}, fosite.ErrInvalidGrant.WithHintf("The assertion lives too long: at most %v.", maxBearerLifetime)
	}
	if err := claims.ValidateWithLeeway(jwt.Expected{Time: now}, leeway); err != nil {
		return assertionClaims{}, fosite.ErrInvalidGrant.WithHint("The assertion is expired or not yet valid.")
	}
	userClaim := trusted.UserClaim
	if userClaim == "" {
		userClaim = "sub"
	}
	subject, _ := all[userClaim].(string)
	if subject == "" {
		return assertionClaims{}, fosite.ErrInvalidGrant.WithHintf("The assertion's %s claim is not a non-empty string.", userClaim)
	}
	return assertionClaims{issuer: trusted.Issuer, subject: subject, id: claims.ID, expiry: expiry}, nil
}

// cleanHeader reports whether assertion is a compact JWS (RFC 7515 §7.1)
// of three canonical base64url segments whose protected header is a JSON
// object without keyHeaders. Canonical (strict) base64 makes every
// encoding of a signed assertion but the one signed fail.
func cleanHeader(assertion string) bool {
	segments := strings.Split(assertion, ".")
	if len(segments) != 3 || segments[2] == "" {
		return false
	}
	var raw []byte
	for i, seg := range segments {
		b, err := base64.RawURLEncoding.Strict().DecodeString(seg)
		if err != nil {
			return false
		}
		if i == 0 {
			raw = b
		}
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(raw, &h); err != nil {
		return false
	}
	for _, k := range keyHeaders {
		if _, ok := h[k]; ok {
			return false
		}
	}
	return true
}

// keyFits reports whether key may verify a signature of alg: a public
// signing key whose type is alg's (RSA of at least 2048 bits for RS256,
// P-256 for ES256, Ed25519 for EdDSA) and whose alg, if stated, is alg.
func keyFits(key jose.JSONWebKey, alg string) bool {
	if !key.IsPublic() || (key.Use != "" && key.Use != "sig") || (key.Algorithm != "" && key.Algorithm != alg) {
		return false
	}
	switch k := key.Key.(type) {
	case *rsa.PublicKey:
		return alg == string(jose.RS256) && k.N.BitLen() >= 2048
	case *ecdsa.PublicKey:
		return alg == string(jose.ES256) && k.Curve == elliptic.P256()
	case ed25519.PublicKey:
		return alg == string(jose.EdDSA)
	}
	return false
}

// iamJWTBearer is the jwt-bearer grant of CreateTokenWithIAM (RFC 7523
// §2.1): an assertion from one of the application's trusted token issuers
// starts a new lineage for the user it names, issued to the IAM caller,
// like the authorization_code grant: an access token, an ID token when
// openid is granted and a refresh token when the application may refresh.
func (p *Provider) iamJWTBearer(ctx context.Context, in IAMTokenRequest) (IAMToken, error) {
	client := in.Client
	if !client.GetGrantTypes().Has(GrantJWTBearer) {
		return IAMToken{}, fosite.ErrUnauthorizedClient.WithHint("The application may not use the jwt-bearer grant.")
	}
	if in.Assertion == "" {
		return IAMToken{}, fosite.ErrInvalidRequest.WithHint("assertion is required.")
	}
	a, err := p.verifyBearerAssertion(ctx, client, in.Assertion)
	if err != nil {
		return IAMToken{}, err
	}
	scopes, err := grantScopes(client, in.Scopes)
	if err != nil {
		return IAMToken{}, err
	}
	audience, err := grantAudience(client, url.Values{}, []string{p.defaultAudience})
	if err != nil {
		return IAMToken{}, err
	}
	// RFC 7523 §3 item 7: the jti is used once.
	fresh, err := p.nonces.ClaimNonce(ctx, "jwt-bearer:"+a.issuer+":"+a.id, a.expiry.Add(p.opts.Leeway))
	switch {
	case err != nil:
		return IAMToken{}, fosite.ErrTemporarilyUnavailable.WithWrap(err)
	case !fresh:
		return IAMToken{}, fosite.ErrInvalidGrant.WithHint("The assertion was already used.")
	}
	origin, err := newID(p.opts.Rand)
	if err != nil {
		return IAMToken{}, fosite.ErrServerError.WithWrap(err)
	}
	now := p.opts.Now()
	g := &issuance{client: client, subject: a.subject, scopes: scopes, audience: audience, originJTI: origin,
		authTime: now, familyIssuedAt: now, iam: in.Caller}
	resp := fosite.NewAccessResponse()
	if err := p.issue(ctx, g, resp); err != nil {
		return IAMToken{}, err
	}
	return iamResponse(resp, g.scopes), nil
}
