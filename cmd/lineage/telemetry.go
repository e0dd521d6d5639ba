package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/lineage-oss/lineage/config"
)

// otlpTracesPath is where an OTLP/HTTP collector receives spans when
// telemetry.otlp_endpoint names no path.
const otlpTracesPath = "/v1/traces"

// newTracerProvider returns the provider every package traces with: nil
// when telemetry.otlp_endpoint is empty (nothing is traced, at no cost),
// else an SDK provider batching spans to the OTLP/HTTP (protobuf)
// collector. The exporter also honours the standard OTEL_EXPORTER_OTLP_*
// variables the configuration does not set (headers, certificates,
// timeout, compression), and the resource OTEL_RESOURCE_ATTRIBUTES.
// Shut it down to flush the last spans.
func newTracerProvider(ctx context.Context, cfg config.Telemetry) (*sdktrace.TracerProvider, error) {
	if cfg.OTLPEndpoint == "" {
		return nil, nil
	}
	endpoint, err := url.Parse(cfg.OTLPEndpoint)
	if err != nil {
		return nil, fmt.Errorf("telemetry: otlp_endpoint: %w", err)
	}
	if endpoint.Path == "" || endpoint.Path == "/" {
		endpoint.Path = otlpTracesPath
	}
	exporter, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint.String()))
	if err != nil {
		return nil, fmt.Errorf("telemetry: OTLP exporter: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithFromEnv(),
		resource.WithTelemetrySDK(),
		resource.WithSchemaURL(semconv.SchemaURL),
		resource.WithAttributes(semconv.ServiceName(cfg.ServiceName)),
	)
	if err != nil {
		_ = exporter.Shutdown(ctx)
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	return sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exporter),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(requestRoots{sdktrace.TraceIDRatioBased(cfg.SampleRatio)})),
	), nil
}

// tracerProvider is tp as the packages take it: nil (no traces) when
// tracing is off.
func tracerProvider(tp *sdktrace.TracerProvider) trace.TracerProvider {
	if tp == nil {
		return nil
	}
	return tp
}

// requestRoots samples the traces that begin with a request lineage
// serves (a server span), at the configured ratio. Background work — key
// rotation, the revocation stream's reads — would otherwise start a trace
// of one Redis call every few seconds.
type requestRoots struct{ ratio sdktrace.Sampler }

func (s requestRoots) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	if p.Kind != trace.SpanKindServer {
		return sdktrace.SamplingResult{Decision: sdktrace.Drop, Tracestate: trace.SpanContextFromContext(p.ParentContext).TraceState()}
	}
	return s.ratio.ShouldSample(p)
}

func (s requestRoots) Description() string { return "RequestRoots{" + s.ratio.Description() + "}" }

// tracingHandler adds the trace and span ids of a record's context to the
// record ("trace_id", "span_id", W3C hex), so that a request's log lines
// can be found from its trace and back.
type tracingHandler struct{ slog.Handler }

func (h tracingHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h tracingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return tracingHandler{h.Handler.WithAttrs(attrs)}
}

func (h tracingHandler) WithGroup(name string) slog.Handler {
	return tracingHandler{h.Handler.WithGroup(name)}
}

// tracesFlushTimeout bounds how long closing the issuer waits for the
// collector to take the last spans.
const tracesFlushTimeout = 5 * time.Second

// shutdownTracing flushes the spans not yet exported and stops tp (nil:
// nothing to do). Later calls do nothing.
func shutdownTracing(ctx context.Context, tp *sdktrace.TracerProvider) error {
	if tp == nil {
		return nil
	}
	if err := tp.Shutdown(ctx); err != nil {
		return fmt.Errorf("telemetry: flush: %w", err)
	}
	return nil
}
