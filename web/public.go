package web

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"go.opentelemetry.io/otel/trace"

	"github.com/lineage-oss/lineage/jwks"
	"github.com/lineage-oss/lineage/oauth"
)

// Options configure the public listener.
type Options struct {
	Issuer string
	// SigningAlgs are the algorithms tokens are signed with, for discovery.
	SigningAlgs []string
	// JWKSMaxAge is the JWK Set's Cache-Control max-age; keys are published
	// at least this long before they sign.
	JWKSMaxAge time.Duration
	// MaxBodyBytes bounds every request body.
	MaxBodyBytes int64
	// TrustedProxies are the addresses (IP or CIDR) whose X-Forwarded-For
	// names the client (http.trusted_proxies); none: the peer is the client.
	TrustedProxies []string
	Logger         *slog.Logger
	// Ready reports whether the issuer can serve (the store answers and a
	// key signs).
	Ready func(ctx context.Context) error
	// Metrics receives every request (nil: none).
	Metrics RequestObserver
	// TracerProvider makes each request a server span (nil: no traces).
	TracerProvider trace.TracerProvider
}

// NewPublic returns the handler of the public listener (the issuer URL).
func NewPublic(opts Options, provider *oauth.Provider, keys *jwks.Set, sts *STS, sso *SSOOIDC, flows *Flows, stream *RevocationStream) http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(opts.Logger)
	e.IPExtractor = ipExtractor(opts.TrustedProxies)
	if opts.TracerProvider != nil {
		e.Use(nameServerSpan)
	}
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, DisablePrintStack: true}))
	if opts.Metrics != nil {
		e.Use(requestMetrics("public", opts.Metrics))
	}
	e.Use(accessLog(opts.Logger))
	e.Use(middleware.BodyLimit(fmt.Sprintf("%dB", opts.MaxBodyBytes)))
	e.Use(requestOrigin)

	discovery := newDiscovery(opts)
	e.GET("/.well-known/openid-configuration", discovery.serve)
	e.GET("/.well-known/oauth-authorization-server", discovery.serve)
	e.GET("/.well-known/jwks.json", func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(opts.JWKSMaxAge.Seconds())))
		return c.JSON(http.StatusOK, keys.Public())
	})
	// aws_iam=t selects the IAM flavour of /token, /introspect and /revoke
	// (SigV4, JSON); without an IAM directory it is refused.
	iamFlavour := func(c echo.Context, h func(echo.Context) error) (bool, error) {
		if c.QueryParam("aws_iam") != "t" {
			return false, nil
		}
		if sso == nil {
			return true, &awsError{http.StatusBadRequest, "InvalidRequestException", "invalid_request", "IAM is not configured on this issuer.", nil}
		}
		return true, h(c)
	}
	e.POST("/token", func(c echo.Context) error {
		if ok, err := iamFlavour(c, sso.createToken); ok {
			return err
		}
		return provider.Token(c.Request().Context(), c.Response(), c.Request())
	})
	e.POST("/introspect", func(c echo.Context) error {
		if ok, err := iamFlavour(c, sso.introspect); ok {
			return err
		}
		out, err := provider.Introspect(c.Request().Context(), c.Request())
		if err != nil {
			return err
		}
		c.Response().Header().Set("Cache-Control", "no-store")
		return c.JSON(http.StatusOK, out)
	})
	e.POST("/revoke", func(c echo.Context) error {
		if ok, err := iamFlavour(c, sso.revoke); ok {
			return err
		}
		if err := provider.Revoke(c.Request().Context(), c.Request()); err != nil {
			return err
		}
		c.Response().Header().Set("Cache-Control", "no-store")
		return c.NoContent(http.StatusOK)
	})
	e.GET("/revocations", stream.serve)
	if sts != nil {
		e.POST(stsPath, sts.serve)
	}
	if flows != nil {
		flows.routes(e)
	}
	e.GET("/health/alive", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "alive"})
	})
	e.GET("/health/ready", func(c echo.Context) error {
		if err := opts.Ready(c.Request().Context()); err != nil {
			opts.Logger.WarnContext(c.Request().Context(), "not ready", "error", err.Error())
			return echo.NewHTTPError(http.StatusServiceUnavailable)
		}
		return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
	})
	return traced(e, opts.TracerProvider)
}

// ipExtractor finds the client's address (login throttling,
// aws:SourceIp): the socket peer, or — behind trusted proxies only — the
// right-most untrusted address of X-Forwarded-For.
func ipExtractor(trusted []string) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, t := range trusted {
		if !strings.Contains(t, "/") {
			if strings.Contains(t, ":") {
				t += "/128"
			} else {
				t += "/32"
			}
		}
		if _, ipNet, err := net.ParseCIDR(t); err == nil {
			opts = append(opts, echo.TrustIPRange(ipNet))
		}
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// stsPath is where the STS Query API is served.
const stsPath = "/sts/"

// accessLog logs one line per request: method, path (never the query,
// which may carry a token), status and latency. Bodies are never logged.
func accessLog(logger *slog.Logger) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogMethod:    true,
		LogURIPath:   true,
		LogStatus:    true,
		LogLatency:   true,
		LogRequestID: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			logger.LogAttrs(c.Request().Context(), slog.LevelInfo, "request",
				slog.String("method", v.Method),
				slog.String("path", v.URIPath),
				slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency),
			)
			return nil
		},
	})
}
