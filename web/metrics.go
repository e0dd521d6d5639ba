package web

import (
	"time"

	"github.com/labstack/echo/v4"
)

// RequestObserver receives one call per HTTP request, for metrics.
type RequestObserver interface {
	Request(listener, endpoint, grant string, code int, took time.Duration)
}

// knownGrants are the grant_type values counted by name; any other is
// "other", so that a client cannot grow the label set.
var knownGrants = map[string]bool{
	"client_credentials": true, "authorization_code": true, "refresh_token": true,
	"urn:ietf:params:oauth:grant-type:jwt-bearer":     true,
	"urn:ietf:params:oauth:grant-type:token-exchange": true,
	"urn:ietf:params:oauth:grant-type:device_code":    true,
}

// requestMetrics reports every request of a listener: its route (never the
// raw path), for /token its grant type, its status and how long it took.
// An error is rendered here so that its status is the one counted.
func requestMetrics(listener string, obs RequestObserver) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			if err := next(c); err != nil {
				c.Error(err)
			}
			endpoint := c.Path()
			if endpoint == "" {
				endpoint = "other"
			}
			grant := ""
			if endpoint == "/token" {
				grant = "other"
				if g := c.Request().PostForm.Get("grant_type"); knownGrants[g] {
					grant = g
				}
			}
			obs.Request(listener, endpoint, grant, c.Response().Status, time.Since(start))
			return nil
		}
	}
}
