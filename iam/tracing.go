package iam

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/lineage-oss/lineage/iam/policy"
)

// Names of the spans of policy evaluation. Their attributes name the
// action and the outcome — the effect and the deciding document's place
// ("org[0]") — never a credential, a policy's text or a request's values.
const (
	SpanAuthorizeApplication = "iam.AuthorizeApplication"
	SpanDecideCreateToken    = "iam.DecideCreateToken"
	SpanAssumeRole           = "iam.AssumeRole"
)

// instrumentation is the tracer's name.
const instrumentation = "github.com/lineage-oss/lineage/iam"

// startSpan starts a policy-evaluation span for action under ctx's span.
func (d *Directory) startSpan(ctx context.Context, name, action string) (context.Context, trace.Span) {
	return d.tracer.Start(ctx, name, trace.WithAttributes(attribute.String("iam.action", action)))
}

// endDecision records the decision, or the error that left none, and ends
// span.
func endDecision(span trace.Span, decision policy.Decision, err error) {
	if err == nil {
		recordDecision(span, decision)
	}
	endSpan(span, err)
}

// endSpan ends span, recording err: an AWS-coded refusal (*Error) by its
// code only, as the caller's mistake; any other error as the span's
// failure.
func endSpan(span trace.Span, err error) {
	defer span.End()
	var coded *Error
	switch {
	case err == nil:
	case errors.As(err, &coded):
		span.SetAttributes(attribute.String("iam.error_code", coded.Code))
	default:
		span.RecordError(err)
		span.SetStatus(codes.Error, "policy evaluation failed")
	}
}

// recordDecision sets the outcome attributes of a decision on span.
func recordDecision(span trace.Span, decision policy.Decision) {
	span.SetAttributes(attribute.Bool("iam.allowed", decision.Allowed), attribute.String("iam.effect", string(decision.Effect)))
	if decision.Policy != "" {
		span.SetAttributes(attribute.String("iam.decided_by", decision.Policy))
	}
}
