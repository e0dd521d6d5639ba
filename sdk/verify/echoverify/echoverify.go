package echoverify

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/lineage-oss/lineage/sdk/verify"
)

// Middleware checks the bearer access token of every request with v (RFC
// 6750 §2.1) and calls the next handler with the token's claims in the
// request context (verify.ClaimsFrom(c.Request().Context())). Otherwise it
// sets the RFC 6750 §3 WWW-Authenticate challenge and returns an
// *echo.HTTPError for the Echo error handler to render: 401 for a missing,
// invalid or revoked token, 503 when the revocation status cannot be
// checked now.
func Middleware(v *verify.Verifier) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			claims, err := v.VerifyRequest(r)
			if err != nil {
				status, challenge := verify.Challenge(err)
				if challenge != "" {
					c.Response().Header().Set(echo.HeaderWWWAuthenticate, challenge)
				}
				c.Response().Header().Set("Cache-Control", "no-store")
				return echo.NewHTTPError(status, http.StatusText(status)).SetInternal(err)
			}
			c.SetRequest(r.WithContext(verify.ContextWithClaims(r.Context(), claims)))
			return next(c)
		}
	}
}
