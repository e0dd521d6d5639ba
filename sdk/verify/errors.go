package verify

import "errors"

// Errors of Verify, checked with errors.Is. Each returned error wraps one
// of them with the detail.
var (
	// ErrInvalidToken: the token is not a valid access token of the
	// issuer for this audience — malformed, wrong typ, unknown key, bad
	// signature, wrong iss or aud, expired or not yet valid (RFC 6750
	// §3.1 "invalid_token").
	ErrInvalidToken = errors.New("verify: invalid token")
	// ErrRevoked: the token is valid but revoked — by the revocation set
	// (its jti, its origin_jti, or a before-T rule for its subject,
	// client or principal), or introspection answered active:false.
	ErrRevoked = errors.New("verify: token revoked")
	// ErrUnavailable: whether the token is revoked cannot be told now
	// (the stream is lost and introspection failed); the request should
	// be retried (HTTP 503), never served.
	ErrUnavailable = errors.New("verify: revocation status unavailable")
	// ErrNoToken: the request carries no bearer token (RFC 6750 §3.1:
	// the challenge then names no error).
	ErrNoToken = errors.New("verify: no bearer token")
)
