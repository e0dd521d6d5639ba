// Package echoverify is the Echo (github.com/labstack/echo/v4) middleware
// of package verify: it checks the bearer access token of each request
// (RFC 6750 §2.1) with a verify.Verifier and puts the token's claims in the
// request context (verify.ClaimsFrom). It is the only package of the SDK
// that imports Echo.
package echoverify
