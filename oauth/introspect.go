package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/ory/fosite"
)

// Introspection is the introspection response (RFC 7662 §2.2). An inactive
// token yields only {"active":false}: nothing about why.
type Introspection struct {
	Active    bool         `json:"active"`
	Scope     string       `json:"scope,omitempty"`
	ClientID  string       `json:"client_id,omitempty"`
	TokenType string       `json:"token_type,omitempty"`
	ExpiresAt int64        `json:"exp,omitempty"`
	IssuedAt  int64        `json:"iat,omitempty"`
	NotBefore int64        `json:"nbf,omitempty"`
	Subject   string       `json:"sub,omitempty"`
	Audience  jwt.Audience `json:"aud,omitempty"`
	Issuer    string       `json:"iss,omitempty"`
	JTI       string       `json:"jti,omitempty"`
	OriginJTI string       `json:"origin_jti,omitempty"`
}

var inactive = Introspection{}

// Introspect answers an introspection request (RFC 7662 §2.1) from an
// authenticated confidential client. A token is active when its signature,
// typ, issuer and times are valid and its client still exists and is
// enabled; a client sees its own tokens, others' only with the introspect
// flag (DESIGN.md "Revocation model"). When the store cannot be read the
// answer is an error (temporarily_unavailable), never an unchecked
// active:true.
func (p *Provider) Introspect(ctx context.Context, r *http.Request) (Introspection, error) {
	if r.Method != http.MethodPost {
		return inactive, fosite.ErrInvalidRequest.WithHint("Introspection takes a POST.")
	}
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return inactive, err
		}
		return inactive, fosite.ErrInvalidRequest.WithHint("The body is not a form.")
	}
	caller, err := p.auth.authenticate(ctx, r, r.PostForm)
	if err != nil {
		return inactive, err
	}
	if caller.IsPublic() {
		return inactive, errBadClient
	}
	token := r.PostForm.Get("token")
	if token == "" {
		return inactive, fosite.ErrInvalidRequest.WithHint("The token parameter is missing.")
	}
	claims, ok := p.verifyAccessToken(token)
	if !ok {
		return inactive, nil
	}
	self := caller.(*Client)
	if claims.ClientID != self.ID {
		if !self.Introspect {
			return inactive, nil
		}
		// Another client's token: active only while that client exists
		// and is enabled. (The caller was read just now: its own tokens
		// need no second read.)
		_, err := getClient(ctx, p.clients, claims.ClientID)
		if errors.Is(err, fosite.ErrNotFound) {
			return inactive, nil
		}
		if err != nil {
			return inactive, fosite.ErrTemporarilyUnavailable.WithWrap(err)
		}
	}
	return Introspection{
		Active: true, Scope: claims.Scope, ClientID: claims.ClientID, TokenType: "Bearer",
		ExpiresAt: claims.ExpiresAt, IssuedAt: claims.IssuedAt, NotBefore: claims.NotBefore,
		Subject: claims.Subject, Audience: claims.Audience, Issuer: claims.Issuer,
		JTI: claims.JTI, OriginJTI: claims.OriginJTI,
	}, nil
}

// verifyAccessToken checks an access token's signature (pinned algorithm,
// published kid), typ, issuer and times.
func (p *Provider) verifyAccessToken(token string) (AccessTokenClaims, bool) {
	v, err := p.keys.Verify(token, AccessTokenType)
	if err != nil {
		return AccessTokenClaims{}, false
	}
	var c AccessTokenClaims
	if err := json.Unmarshal(v.Payload, &c); err != nil {
		return AccessTokenClaims{}, false
	}
	now := p.opts.Now()
	if c.Issuer != p.opts.Issuer || c.JTI == "" || c.ClientID == "" ||
		!now.Before(time.Unix(c.ExpiresAt, 0)) ||
		now.Add(p.opts.Leeway).Before(time.Unix(c.NotBefore, 0)) {
		return AccessTokenClaims{}, false
	}
	return c, true
}
