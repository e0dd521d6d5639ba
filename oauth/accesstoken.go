package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/lineage-oss/lineage/jwks"
)

// AccessTokenType is the JWS typ of access tokens (RFC 9068 §2.1).
const AccessTokenType = "at+jwt"

// AccessTokenClaims are the claims of a lineage access token (RFC 9068 §2.2
// plus lineage's origin_jti and IAM claims, DESIGN.md "Tokens").
type AccessTokenClaims struct {
	Issuer    string       `json:"iss"`
	Subject   string       `json:"sub"`
	Audience  jwt.Audience `json:"aud"`
	ExpiresAt int64        `json:"exp"`
	IssuedAt  int64        `json:"iat"`
	NotBefore int64        `json:"nbf"`
	JTI       string       `json:"jti"`
	ClientID  string       `json:"client_id"`
	Scope     string       `json:"scope,omitempty"`
	OriginJTI string       `json:"origin_jti"`
	// IAM-minted tokens (CreateTokenWithIAM): the caller's ARN, the
	// principal that assumed its role (sessions only) and when the
	// credential used was issued (unix seconds).
	IAMPrincipal  string `json:"iam_principal,omitempty"`
	IAMSource     string `json:"iam_source,omitempty"`
	IAMSessionIAT int64  `json:"iam_session_iat,omitempty"`
	// Act is, for a token-exchange result, who acts for the subject (RFC
	// 8693 §4.1).
	Act *Actor `json:"act,omitempty"`
}

// Actor is the act claim (RFC 8693 §4.1): the party acting for the
// subject, and nested in it the one that acted before, if any.
type Actor struct {
	Subject string `json:"sub"`
	Actor   *Actor `json:"act,omitempty"`
}

// depth is how many actors the chain holds.
func (a *Actor) depth() int {
	n := 0
	for ; a != nil; a = a.Actor {
		n++
	}
	return n
}

// AccessTokens mints RFC 9068 JWT access tokens with the current signing
// key. Minting touches no store: the token is self-contained.
type AccessTokens struct {
	issuer string
	keys   *jwks.Set
	now    func() time.Time
	rand   io.Reader
}

// Grant is what one access token is issued for.
type Grant struct {
	Subject   string
	ClientID  string
	Scopes    []string
	Audience  []string
	OriginJTI string // empty: this token starts a lineage (origin_jti = jti)
	Lifetime  time.Duration
	IAM       IAMIdentity // zero: not IAM-minted
	Act       *Actor      // nil: no act claim
}

// MintContext signs an access token for g and returns it with its claims,
// the signing traced in ctx's trace.
func (a *AccessTokens) MintContext(ctx context.Context, g Grant) (string, AccessTokenClaims, error) {
	jti, err := newID(a.rand)
	if err != nil {
		return "", AccessTokenClaims{}, err
	}
	now := a.now()
	c := AccessTokenClaims{
		Issuer:    a.issuer,
		Subject:   g.Subject,
		Audience:  jwt.Audience(g.Audience),
		ExpiresAt: now.Add(g.Lifetime).Unix(),
		IssuedAt:  now.Unix(),
		NotBefore: now.Unix(),
		JTI:       jti,
		ClientID:  g.ClientID,
		Scope:     strings.Join(g.Scopes, " "),
		OriginJTI: g.OriginJTI,
		Act:       g.Act,
	}
	if c.OriginJTI == "" {
		c.OriginJTI = jti
	}
	if g.IAM.Principal != "" {
		c.IAMPrincipal, c.IAMSource = g.IAM.Principal, g.IAM.Source
		c.IAMSessionIAT = g.IAM.SessionIssuedAt.Unix()
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", AccessTokenClaims{}, fmt.Errorf("oauth: marshal claims: %w", err)
	}
	token, err := a.keys.SignContext(ctx, AccessTokenType, payload)
	if err != nil {
		return "", AccessTokenClaims{}, fmt.Errorf("oauth: sign access token: %w", err)
	}
	return token, c, nil
}

// newID returns a random 128-bit identifier, base64url without padding.
func newID(random io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return "", fmt.Errorf("oauth: random id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
