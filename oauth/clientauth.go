package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/ory/fosite"

	"github.com/lineage-oss/lineage/ratelimit"
	"github.com/lineage-oss/lineage/secrets"
	"github.com/lineage-oss/lineage/store"
)

// clientAssertionType is the only assertion type lineage accepts (RFC 7523 §2.2).
const clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// maxAssertionLifetime bounds how far in the future a client assertion may
// expire, which bounds the jti replay cache.
const maxAssertionLifetime = time.Hour

// errBadClient is the one answer for an unknown client, a disabled client
// and a wrong secret or assertion, so that none can be told apart.
var errBadClient = fosite.ErrInvalidClient.WithHint("Client authentication failed.")

// clientAuthenticator is lineage's client authentication (RFC 6749 §2.3):
// client_secret_basic, client_secret_post and private_key_jwt (RFC 7523
// §2.2, OIDC Core §9), one method per request. Secrets are checked as
// HMAC-SHA256 in constant time.
type clientAuthenticator struct {
	clients   ClientSource
	nonces    store.Nonces
	mac       *secrets.MAC
	audiences []string // accepted client-assertion audiences: token URL, issuer
	leeway    time.Duration
	now       func() time.Time
	limits    *ratelimit.Limiter // nil: none
}

// authenticate implements fosite.ClientAuthenticationStrategy. A client id
// or client IP over its failed-authentication limit is refused with a
// *ratelimit.Exceeded before its credentials are checked; every
// invalid_client answer counts as a failure of both, and the one too many
// is refused so too. A client assertion's id is not known before it is
// verified: its failures count per IP only.
func (a *clientAuthenticator) authenticate(ctx context.Context, r *http.Request, form url.Values) (fosite.Client, error) {
	id, ip := a.claimedID(r, form), originOf(ctx).SourceIP
	if err := a.limits.ClientAuth(id, ip); err != nil {
		return nil, err
	}
	c, err := a.credentials(ctx, r, form)
	var rfc *fosite.RFC6749Error
	if errors.As(err, &rfc) && rfc.ErrorField == fosite.ErrInvalidClient.ErrorField {
		if lerr := a.limits.ClientAuthFailed(ctx, id, ip); lerr != nil {
			return nil, lerr
		}
	}
	return c, err
}

// credentials checks the request's client credentials.
func (a *clientAuthenticator) credentials(ctx context.Context, r *http.Request, form url.Values) (fosite.Client, error) {
	basicID, basicSecret, basic := r.BasicAuth()
	assertion := form.Get("client_assertion_type") != "" || form.Get("client_assertion") != ""
	post := form.Get("client_secret") != ""
	methods := 0
	for _, used := range []bool{basic, assertion, post} {
		if used {
			methods++
		}
	}
	if methods > 1 {
		return nil, fosite.ErrInvalidRequest.WithHint("Use exactly one client authentication method.")
	}
	switch {
	case assertion:
		return a.assertion(ctx, form)
	case basic:
		id, err1 := url.QueryUnescape(basicID)
		secret, err2 := url.QueryUnescape(basicSecret)
		if err1 != nil || err2 != nil {
			return nil, fosite.ErrInvalidRequest.WithHint("The HTTP Basic credentials are not form-urlencoded.")
		}
		if form.Get("client_id") != "" && form.Get("client_id") != id {
			return nil, fosite.ErrInvalidRequest.WithHint("client_id differs from the authenticated client.")
		}
		return a.secret(ctx, id, secret)
	case post:
		return a.secret(ctx, form.Get("client_id"), form.Get("client_secret"))
	default:
		return a.public(ctx, form.Get("client_id"))
	}
}

func (a *clientAuthenticator) lookup(ctx context.Context, id string) (*Client, error) {
	if id == "" {
		return nil, nil
	}
	c, err := getClient(ctx, a.clients, id)
	if errors.Is(err, fosite.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fosite.ErrTemporarilyUnavailable.WithWrap(err)
	}
	return c, nil
}

// secret checks a client secret. An unknown client still costs one MAC so
// that timing does not reveal which ids exist.
func (a *clientAuthenticator) secret(ctx context.Context, id, secret string) (fosite.Client, error) {
	c, err := a.lookup(ctx, id)
	if err != nil {
		return nil, err
	}
	hash := []byte(nil)
	if c != nil {
		hash = c.SecretHash
	}
	ok := a.mac.Equal(hash, []byte(secret))
	if c == nil || len(c.SecretHash) == 0 || !ok {
		return nil, errBadClient
	}
	return c, nil
}

// public admits a client that sends only its id, if it is public.
func (a *clientAuthenticator) public(ctx context.Context, id string) (fosite.Client, error) {
	if id == "" {
		return nil, fosite.ErrInvalidRequest.WithHint("Client credentials are missing.")
	}
	c, err := a.lookup(ctx, id)
	if err != nil {
		return nil, err
	}
	if c == nil || !c.IsPublic() {
		return nil, errBadClient
	}
	return c, nil
}

// assertion verifies a private_key_jwt client assertion against the
// client's registered keys: signature by a key of the client (algorithm
// pinned to the key), iss = sub = client_id, aud = the token endpoint or
// the issuer, exp within the next hour, and jti used once.
func (a *clientAuthenticator) assertion(ctx context.Context, form url.Values) (fosite.Client, error) {
	if form.Get("client_assertion_type") != clientAssertionType {
		return nil, fosite.ErrInvalidRequest.WithHintf("client_assertion_type must be %s.", clientAssertionType)
	}
	tok, err := jwt.ParseSigned(form.Get("client_assertion"), []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.EdDSA})
	if err != nil {
		return nil, errBadClient
	}
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return nil, errBadClient
	}
	id := unverified.Subject
	if formID := form.Get("client_id"); formID != "" && formID != id {
		return nil, errBadClient
	}
	c, err := a.lookup(ctx, id)
	if err != nil {
		return nil, err
	}
	if c == nil || len(c.JWKS) == 0 {
		return nil, errBadClient
	}
	claims, err := verifyAssertion(tok, c)
	if err != nil {
		return nil, errBadClient
	}
	now := a.now()
	if claims.Issuer != id || claims.Subject != id || claims.ID == "" || claims.Expiry == nil ||
		claims.Expiry.Time().After(now.Add(maxAssertionLifetime)) ||
		!slices.ContainsFunc(a.audiences, func(aud string) bool { return claims.Audience.Contains(aud) }) {
		return nil, errBadClient
	}
	if err := claims.ValidateWithLeeway(jwt.Expected{Time: now}, a.leeway); err != nil {
		return nil, errBadClient
	}
	fresh, err := a.nonces.ClaimNonce(ctx, "client_assertion:"+id+":"+claims.ID, claims.Expiry.Time().Add(a.leeway))
	if err != nil {
		return nil, fosite.ErrTemporarilyUnavailable.WithWrap(err)
	}
	if !fresh {
		return nil, fosite.ErrInvalidClient.WithHint("The client assertion was already used.")
	}
	return c, nil
}

func verifyAssertion(tok *jwt.JSONWebToken, c *Client) (jwt.Claims, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(c.JWKS, &set); err != nil {
		return jwt.Claims{}, err
	}
	h := tok.Headers[0]
	if h.JSONWebKey != nil {
		return jwt.Claims{}, errors.New("embedded key")
	}
	for _, key := range set.Keys {
		if h.KeyID != "" && key.KeyID != h.KeyID {
			continue
		}
		if !key.IsPublic() || (key.Use != "" && key.Use != "sig") || (key.Algorithm != "" && key.Algorithm != h.Algorithm) {
			continue
		}
		var claims jwt.Claims
		if err := tok.Claims(key.Key, &claims); err == nil {
			return claims, nil
		}
	}
	return jwt.Claims{}, fmt.Errorf("no key of client verifies the assertion")
}

// AuthenticateConfidential authenticates the confidential client calling
// an endpoint other than /token (for example GET /revocations): HTTP
// Basic, or the form of a POST. A public client is refused as an unknown
// one is.
func (p *Provider) AuthenticateConfidential(ctx context.Context, r *http.Request) (*Client, error) {
	form := url.Values{}
	if r.Method == http.MethodPost {
		f, err := postForm(r, "The request")
		if err != nil {
			return nil, err
		}
		form = f
	}
	return p.confidential(ctx, r, form, p.auth)
}

// claimedID is the client id a request claims before it is authenticated
// (HTTP Basic user, else the form's client_id); "" for a client assertion,
// whose id is only known once it is parsed.
func (a *clientAuthenticator) claimedID(r *http.Request, form url.Values) string {
	if form.Get("client_assertion") != "" || form.Get("client_assertion_type") != "" {
		return ""
	}
	if user, _, ok := r.BasicAuth(); ok {
		id, err := url.QueryUnescape(user)
		if err != nil {
			return ""
		}
		return id
	}
	return form.Get("client_id")
}

// with returns a copy of a that looks clients up in src.
func (a *clientAuthenticator) with(src ClientSource) *clientAuthenticator {
	c := *a
	c.clients = src
	return &c
}
