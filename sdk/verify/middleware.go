package verify

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

type claimsKey struct{}

// ContextWithClaims returns ctx carrying c, as the middlewares do.
func ContextWithClaims(ctx context.Context, c Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// ClaimsFrom returns the claims the middleware put in a request's context.
func ClaimsFrom(ctx context.Context) (Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(Claims)
	return c, ok
}

// bearerToken returns the token of an "Authorization: Bearer" header (RFC
// 6750 §2.1; the scheme is case-insensitive, RFC 9110 §11.1).
func bearerToken(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", ErrNoToken
	}
	scheme, token, ok := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", ErrNoToken
	}
	return token, nil
}

// VerifyRequest verifies the bearer token of r (RFC 6750 §2.1): ErrNoToken
// without one, else as Verify.
func (v *Verifier) VerifyRequest(r *http.Request) (Claims, error) {
	token, err := bearerToken(r)
	if err != nil {
		return Claims{}, err
	}
	return v.Verify(r.Context(), token)
}

// Challenge returns the HTTP status and the WWW-Authenticate value to
// answer an error of VerifyRequest with (RFC 6750 §3): 401 "Bearer"
// without a token (§3.1: no error code then), 401 with error="invalid_token"
// for an invalid or revoked token, 503 without a challenge when the
// revocation status is unavailable (the client should retry).
func Challenge(err error) (status int, wwwAuthenticate string) {
	switch {
	case errors.Is(err, ErrNoToken):
		return http.StatusUnauthorized, "Bearer"
	case errors.Is(err, ErrUnavailable):
		return http.StatusServiceUnavailable, ""
	}
	return http.StatusUnauthorized, `Bearer error="invalid_token"`
}

// Middleware checks the bearer token of every request (RFC 6750) and
// calls next with the token's claims in the request context (ClaimsFrom).
// A request without a valid token is answered 401 with a WWW-Authenticate
// challenge; one whose token cannot be checked now, 503.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := v.VerifyRequest(r)
		if err != nil {
			status, challenge := Challenge(err)
			if challenge != "" {
				w.Header().Set("WWW-Authenticate", challenge)
			}
			w.Header().Set("Cache-Control", "no-store")
			http.Error(w, http.StatusText(status), status)
			return
		}
		next.ServeHTTP(w, r.WithContext(ContextWithClaims(r.Context(), c)))
	})
}
