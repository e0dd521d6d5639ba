package web

import (
	"github.com/labstack/echo/v4"

	"github.com/lineage-oss/lineage/oauth"
)

// requestOrigin records in each request's context where it comes from —
// the client's address as the IP extractor finds it behind
// http.trusted_proxies, and whether it came over TLS — for the
// sso-oauth:CreateToken policy keys aws:SourceIp and aws:SecureTransport.
func requestOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		c.SetRequest(r.WithContext(oauth.WithOrigin(r.Context(), oauth.Origin{SourceIP: c.RealIP(), SecureTransport: r.TLS != nil})))
		return next(c)
	}
}
