package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/ory/fosite"

	"github.com/lineage-oss/lineage/iam"
	"github.com/lineage-oss/lineage/revocation"
	"github.com/lineage-oss/lineage/store"
)

// Introspection is the introspection response (RFC 7662 §2.2). An inactive
// token yields only {"active":false}: nothing about why.
type Introspection struct {
	Active    bool         `json:"active"`
	Scope     string       `json:"scope,omitempty"`
	ClientID  string       `json:"client_id,omitempty"`
	Username  string       `json:"username,omitempty"`
	TokenType string       `json:"token_type,omitempty"`
	ExpiresAt int64        `json:"exp,omitempty"`
	IssuedAt  int64        `json:"iat,omitempty"`
	NotBefore int64        `json:"nbf,omitempty"`
	Subject   string       `json:"sub,omitempty"`
	Audience  jwt.Audience `json:"aud,omitempty"`
	Issuer    string       `json:"iss,omitempty"`
	JTI       string       `json:"jti,omitempty"`
	OriginJTI string       `json:"origin_jti,omitempty"`
	// IAMPrincipal is the iam_principal of an IAM-minted token.
	IAMPrincipal string `json:"iam_principal,omitempty"`
}

var inactive = Introspection{}

// Introspect answers an introspection request (RFC 7662 §2.1) from an
// authenticated confidential client (DESIGN.md "Revocation model"). A
// client sees its own tokens; others' access tokens only with the
// introspect flag; refresh tokens only its own. A token is active when its
// signature, typ, issuer and times are valid, its client exists and is
// enabled, and the revocation set does not cover it. When the store cannot
// be read the answer is temporarily_unavailable, never an unchecked
// active:true.
func (p *Provider) Introspect(ctx context.Context, r *http.Request) (Introspection, error) {
	form, err := postForm(r, "Introspection")
	if err != nil {
		return inactive, err
	}
	token := form.Get("token")
	if _, ok := refreshOrigin(token); ok {
		self, err := p.confidential(ctx, r, form, p.auth)
		if err != nil {
			return inactive, err
		}
		return p.IntrospectFor(ctx, self, token)
	}

	// An access token is checked in one store round trip: the signature
	// first (no store), then one read of the revocation set together with
	// the stored records of the caller and of the token's client. The
	// caller is authenticated from that read before anything is answered.
	claims, isAccess := p.verifyAccessToken(token)
	var t revocation.Token // none to look up for a token that did not verify
	if isAccess {
		t = claims.revocationToken()
	}
	ids := storedIDs(p.clients, p.auth.claimedID(r, form), t.ClientID)
	check, err := p.revocations.Check(ctx, t, ids)
	if err != nil {
		return inactive, fosite.ErrTemporarilyUnavailable.WithWrap(err)
	}
	read := prefetched{src: p.clients, ids: ids, records: check.Clients}
	self, err := p.confidential(ctx, r, form, p.auth.with(read))
	if err != nil {
		return inactive, err
	}
	if token == "" {
		return inactive, fosite.ErrInvalidRequest.WithHint("The token parameter is missing.")
	}
	if !isAccess {
		return p.introspectIDToken(ctx, self, token)
	}
	return p.introspectAccess(ctx, self, claims, check, read)
}

// IntrospectFor answers an introspection of token for the client self,
// authenticated by the caller: by its credentials (Introspect) or by an IAM
// principal allowed sso-oauth:IntrospectTokenWithIAM on it
// (IntrospectTokenWithIAM). The rules are Introspect's.
func (p *Provider) IntrospectFor(ctx context.Context, self *Client, token string) (Introspection, error) {
	if token == "" {
		return inactive, fosite.ErrInvalidRequest.WithHint("The token parameter is missing.")
	}
	if origin, ok := refreshOrigin(token); ok {
		rec, active, err := p.activeRefreshToken(ctx, origin, token)
		if err != nil || !active || rec.ClientID != self.ID {
			return inactive, err
		}
		return Introspection{
			Active: true, Scope: strings.Join(rec.Scopes, " "), ClientID: rec.ClientID, Username: rec.Username,
			ExpiresAt: rec.ExpiresAt.Unix(), IssuedAt: rec.IssuedAt.Unix(), Subject: rec.Subject,
			Audience: jwt.Audience(rec.Audience), Issuer: p.opts.Issuer, OriginJTI: rec.OriginJTI,
			IAMPrincipal: rec.IAMPrincipal,
		}, nil
	}
	claims, isAccess := p.verifyAccessToken(token)
	if !isAccess {
		return p.introspectIDToken(ctx, self, token)
	}
	t := claims.revocationToken()
	ids := storedIDs(p.clients, t.ClientID)
	check, err := p.revocations.Check(ctx, t, ids)
	if err != nil {
		return inactive, fosite.ErrTemporarilyUnavailable.WithWrap(err)
	}
	return p.introspectAccess(ctx, self, claims, check, prefetched{src: p.clients, ids: ids, records: check.Clients})
}

// introspectAccess answers for a verified access token, its revocation
// check done: another client's token only for a caller with the introspect
// flag, and only while that client exists and is enabled; an IAM-minted
// token only while the policies in force still allow what minted it.
func (p *Provider) introspectAccess(ctx context.Context, self *Client, claims AccessTokenClaims, check revocation.Check, clients ClientSource) (Introspection, error) {
	owner := self
	if claims.ClientID != self.ID {
		if !self.Introspect {
			return inactive, nil
		}
		var err error
		owner, err = getClient(ctx, clients, claims.ClientID)
		if errors.Is(err, fosite.ErrNotFound) {
			return inactive, nil
		}
		if err != nil {
			return inactive, fosite.ErrTemporarilyUnavailable.WithWrap(err)
		}
	}
	if check.Revoked {
		return inactive, nil
	}
	if ok, err := p.iamStillAllowed(ctx, claims, owner, check.PolicyGeneration); !ok {
		return inactive, err
	}
	return Introspection{
		Active: true, Scope: claims.Scope, ClientID: claims.ClientID, TokenType: "Bearer",
		ExpiresAt: claims.ExpiresAt, IssuedAt: claims.IssuedAt, NotBefore: claims.NotBefore,
		Subject: claims.Subject, Audience: claims.Audience, Issuer: claims.Issuer,
		JTI: claims.JTI, OriginJTI: claims.OriginJTI, IAMPrincipal: claims.IAMPrincipal,
	}, nil
}

// confidential authenticates the confidential client calling an endpoint
// other than /token, looking clients up through auth.
func (p *Provider) confidential(ctx context.Context, r *http.Request, form url.Values, auth *clientAuthenticator) (*Client, error) {
	caller, err := auth.authenticate(ctx, r, form)
	if err != nil {
		return nil, err
	}
	if caller.IsPublic() {
		return nil, errBadClient
	}
	return caller.(*Client), nil
}

// postForm parses a POSTed form, the only shape introspection and
// revocation accept (RFC 7662 §2.1, RFC 7009 §2.1).
func postForm(r *http.Request, what string) (url.Values, error) {
	if r.Method != http.MethodPost {
		return nil, fosite.ErrInvalidRequest.WithHintf("%s takes a POST.", what)
	}
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, err
		}
		return nil, fosite.ErrInvalidRequest.WithHint("The body is not a form.")
	}
	return r.PostForm, nil
}

// verifiedToken is a remembered access token: the key that signed it and
// its claims.
type verifiedToken struct {
	kid    string
	claims AccessTokenClaims
}

// verifyAccessToken checks an access token's signature (pinned algorithm,
// published kid), typ, issuer and times. It reads no store. A token
// verified before is taken from the cache while its key is published; its
// times are checked every time.
func (p *Provider) verifyAccessToken(token string) (AccessTokenClaims, bool) {
	var sum [sha256.Size]byte
	var c AccessTokenClaims
	cached := false
	if p.verified != nil {
		sum = sha256.Sum256([]byte(token))
		var v verifiedToken
		if v, cached = p.verified.Get(sum); cached && p.keys.Published(v.kid) {
			c = v.claims
		} else {
			cached = false
		}
	}
	if !cached {
		v, err := p.keys.Verify(token, AccessTokenType)
		if err != nil {
			return AccessTokenClaims{}, false
		}
		if err := json.Unmarshal(v.Payload, &c); err != nil {
			return AccessTokenClaims{}, false
		}
		if c.Issuer != p.opts.Issuer || c.JTI == "" || c.OriginJTI == "" || c.ClientID == "" {
			return AccessTokenClaims{}, false
		}
		if p.verified != nil {
			p.verified.Add(sum, verifiedToken{kid: v.KID, claims: c})
		}
	}
	now := p.opts.Now()
	if !now.Before(time.Unix(c.ExpiresAt, 0)) || now.Add(p.opts.Leeway).Before(time.Unix(c.NotBefore, 0)) {
		return AccessTokenClaims{}, false
	}
	return c, true
}

// revocationToken is what the revocation set needs to know of the token.
func (c AccessTokenClaims) revocationToken() revocation.Token {
	t := revocation.Token{JTI: c.JTI, OriginJTI: c.OriginJTI, Subject: c.Subject, ClientID: c.ClientID,
		IssuedAt: time.Unix(c.IssuedAt, 0)}
	if c.IAMPrincipal != "" {
		id := IAMIdentity{Principal: c.IAMPrincipal, Source: c.IAMSource, SessionIssuedAt: time.Unix(c.IAMSessionIAT, 0)}
		t.Principals, t.SessionIssuedAt = id.principals(), id.SessionIssuedAt
		t.PolicyAccount = iam.AccountOf(c.IAMPrincipal)
	}
	return t
}

// notRevoked checks a verified access token against the revocation set. It
// reports false with an error (temporarily_unavailable) when the set cannot
// be read: the caller fails closed.
func (p *Provider) notRevoked(ctx context.Context, c AccessTokenClaims) (bool, error) {
	revoked, err := p.revocations.Revoked(ctx, c.revocationToken())
	if err != nil {
		return false, fosite.ErrTemporarilyUnavailable.WithWrap(err)
	}
	return !revoked, nil
}

// activeRefreshToken looks a refresh token up and reports whether it can
// still be exchanged: known, unexpired, not rotated and not revoked.
func (p *Provider) activeRefreshToken(ctx context.Context, origin, token string) (store.RefreshToken, bool, error) {
	rec, err := p.refresh.GetRefreshToken(ctx, origin, hashToken(token))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.RefreshToken{}, false, nil
	case err != nil:
		return store.RefreshToken{}, false, fosite.ErrTemporarilyUnavailable.WithWrap(err)
	}
	if !rec.RotatedAt.IsZero() || !p.opts.Now().Before(rec.ExpiresAt) {
		return rec, false, nil
	}
	revoked, err := p.refreshRevoked(ctx, rec)
	return rec, err == nil && !revoked, err
}

// refreshRevoked checks a refresh token's lineage, subject and client
// against the revocation set.
func (p *Provider) refreshRevoked(ctx context.Context, rec store.RefreshToken) (bool, error) {
	id := recordIdentity(rec)
	revoked, err := p.revocations.Revoked(ctx, revocation.Token{
		OriginJTI: rec.OriginJTI, Subject: rec.Subject, ClientID: rec.ClientID, IssuedAt: rec.IssuedAt,
		Principals: id.principals(), SessionIssuedAt: id.SessionIssuedAt,
	})
	if err != nil {
		return true, fosite.ErrTemporarilyUnavailable.WithWrap(err)
	}
	return revoked, nil
}

// introspectIDToken answers for an ID token, which only the client it was
// issued to (its aud) may introspect: active while valid and not revoked
// (its jti, its lineage, or a before-T rule).
func (p *Provider) introspectIDToken(ctx context.Context, self *Client, token string) (Introspection, error) {
	v, err := p.keys.Verify(token, IDTokenType)
	if err != nil {
		return inactive, nil
	}
	var c IDTokenClaims
	if err := json.Unmarshal(v.Payload, &c); err != nil {
		return inactive, nil
	}
	now := p.opts.Now()
	if c.Issuer != p.opts.Issuer || c.JTI == "" || c.OriginJTI == "" || len(c.Audience) != 1 || c.Audience[0] != self.ID ||
		!now.Before(time.Unix(c.ExpiresAt, 0)) || now.Add(p.opts.Leeway).Before(time.Unix(c.IssuedAt, 0)) {
		return inactive, nil
	}
	if active, err := p.notRevoked(ctx, AccessTokenClaims{JTI: c.JTI, OriginJTI: c.OriginJTI, Subject: c.Subject,
		ClientID: self.ID, IssuedAt: c.IssuedAt, IAMPrincipal: c.IAMPrincipal, IAMSource: c.IAMSource,
		IAMSessionIAT: c.IAMSessionIAT}); !active {
		return inactive, err
	}
	return Introspection{
		Active: true, ClientID: self.ID, ExpiresAt: c.ExpiresAt, IssuedAt: c.IssuedAt, Subject: c.Subject,
		Audience: c.Audience, Issuer: c.Issuer, JTI: c.JTI, OriginJTI: c.OriginJTI,
	}, nil
}
