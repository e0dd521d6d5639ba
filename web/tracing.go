package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// traced wraps a listener's handler so that every request is one server
// span (OpenTelemetry HTTP semantic conventions), continuing the caller's
// W3C traceparent if it sends one. The span is named by its method and,
// once Echo has routed the request, its route ("POST /token"; see
// nameServerSpan): never the raw path or the query. Its attributes are
// otelhttp's, which hold the path but not the query, and no header or
// body. Probes and scrapes (/health/*, /metrics) are not traced. With no
// provider, h is returned as it is.
func traced(h http.Handler, tp trace.TracerProvider) http.Handler {
	if tp == nil {
		return h
	}
	return otelhttp.NewHandler(h, "",
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelhttp.WithPropagators(propagation.TraceContext{}),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return spanMethod(r.Method) }),
		otelhttp.WithFilter(func(r *http.Request) bool {
			return !strings.HasPrefix(r.URL.Path, "/health/") && r.URL.Path != "/metrics"
		}),
	)
}

// nameServerSpan renames the request's server span after its route and
// records the route as http.route; unrouted requests keep the method
// alone, so that no client can grow the set of span names.
func nameServerSpan(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		span := trace.SpanFromContext(c.Request().Context())
		if route := c.Path(); span.IsRecording() && strings.HasPrefix(route, "/") {
			span.SetName(spanMethod(c.Request().Method) + " " + route)
			span.SetAttributes(attribute.String("http.route", route))
		}
		return next(c)
	}
}

// spanMethod is the method as span names use it: "HTTP" for any method
// outside RFC 9110's, so that clients cannot invent names.
func spanMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "HTTP"
}
