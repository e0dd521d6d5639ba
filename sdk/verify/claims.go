package verify

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// Claims are the claims of a verified lineage access token (RFC 9068 §2.2
// plus lineage's origin_jti and iam_principal). The Claims of a remembered
// token share Audience and Raw with every caller: treat them as
// read-only.
type Claims struct {
	Issuer    string    // iss
	Subject   string    // sub
	Audience  []string  // aud
	ExpiresAt time.Time // exp
	IssuedAt  time.Time // iat
	NotBefore time.Time // nbf; zero when absent
	JTI       string    // jti
	// OriginJTI is the token's lineage: the jti of the grant every token
	// of the family descends from.
	OriginJTI string
	ClientID  string // client_id (RFC 9068 §2.2)
	Scope     string // scope, space-separated (RFC 8693 §4.2)
	// IAMPrincipal is the ARN of the IAM caller of an IAM-minted token
	// (iam_principal), empty otherwise.
	IAMPrincipal string
	// IAMSource is, for a token minted with a role session, the principal
	// that assumed the role (iam_source).
	IAMSource string
	// IAMSessionIssuedAt is when the IAM credential that minted the token
	// was issued (iam_session_iat); zero for other tokens.
	IAMSessionIssuedAt time.Time
	// Raw holds every claim as decoded by encoding/json.
	Raw map[string]any
}

// HasScope reports whether the token's scope includes s (RFC 6749 §3.3).
func (c Claims) HasScope(s string) bool {
	return slices.Contains(strings.Fields(c.Scope), s)
}

// wireClaims is the JSON of the claims the Verifier reads.
type wireClaims struct {
	Issuer       string           `json:"iss"`
	Subject      string           `json:"sub"`
	Audience     jwt.Audience     `json:"aud"`
	ExpiresAt    *jwt.NumericDate `json:"exp"`
	IssuedAt     *jwt.NumericDate `json:"iat"`
	NotBefore    *jwt.NumericDate `json:"nbf"`
	JTI          string           `json:"jti"`
	OriginJTI    string           `json:"origin_jti"`
	ClientID     string           `json:"client_id"`
	Scope        string           `json:"scope"`
	IAMPrincipal string           `json:"iam_principal"`
	IAMSource    string           `json:"iam_source"`
	IAMSessionAt *jwt.NumericDate `json:"iam_session_iat"`
}

// parseClaims decodes a verified payload and checks the claims that do
// not change with time: iss is issuer, aud contains audience (if set), and
// exp, iat, jti and origin_jti are present (RFC 9068 §2.2, §4).
func parseClaims(payload []byte, issuer, audience string) (Claims, error) {
	var w wireClaims
	if err := json.Unmarshal(payload, &w); err != nil {
		return Claims{}, fmt.Errorf("%w: claims: %w", ErrInvalidToken, err)
	}
	var raw map[string]any
	if err := json.Unmarshal(payload, &raw); err != nil {
		return Claims{}, fmt.Errorf("%w: claims: %w", ErrInvalidToken, err)
	}
	switch {
	case w.Issuer != issuer:
		return Claims{}, fmt.Errorf("%w: iss %q is not the issuer", ErrInvalidToken, w.Issuer)
	case audience != "" && !w.Audience.Contains(audience):
		return Claims{}, fmt.Errorf("%w: aud does not contain %q", ErrInvalidToken, audience)
	case w.ExpiresAt == nil:
		return Claims{}, fmt.Errorf("%w: no exp", ErrInvalidToken)
	case w.IssuedAt == nil:
		return Claims{}, fmt.Errorf("%w: no iat", ErrInvalidToken)
	case w.JTI == "":
		return Claims{}, fmt.Errorf("%w: no jti", ErrInvalidToken)
	case w.OriginJTI == "":
		return Claims{}, fmt.Errorf("%w: no origin_jti", ErrInvalidToken)
	}
	c := Claims{
		Issuer:       w.Issuer,
		Subject:      w.Subject,
		Audience:     []string(w.Audience),
		ExpiresAt:    w.ExpiresAt.Time(),
		IssuedAt:     w.IssuedAt.Time(),
		JTI:          w.JTI,
		OriginJTI:    w.OriginJTI,
		ClientID:     w.ClientID,
		Scope:        w.Scope,
		IAMPrincipal: w.IAMPrincipal,
		Raw:          raw,
	}
	if w.NotBefore != nil {
		c.NotBefore = w.NotBefore.Time()
	}
	c.IAMSource = w.IAMSource
	if w.IAMSessionAt != nil {
		c.IAMSessionIssuedAt = w.IAMSessionAt.Time()
	}
	return c, nil
}

// checkTimes checks exp, nbf and iat against now with leeway (RFC 7519
// §4.1.4-6). They are checked on every call, remembered token or not.
func (c *Claims) checkTimes(now time.Time, leeway time.Duration) error {
	switch {
	case !now.Add(-leeway).Before(c.ExpiresAt):
		return fmt.Errorf("%w: expired", ErrInvalidToken)
	case !c.NotBefore.IsZero() && now.Add(leeway).Before(c.NotBefore):
		return fmt.Errorf("%w: not valid yet (nbf)", ErrInvalidToken)
	case now.Add(leeway).Before(c.IssuedAt):
		return fmt.Errorf("%w: issued in the future (iat)", ErrInvalidToken)
	}
	return nil
}

// account returns the account id of an IAM principal ARN, its 5th field
// (arn:partition:service:region:account:resource), or "" when arn is not
// an ARN.
func account(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}
