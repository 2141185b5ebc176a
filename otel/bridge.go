package otel

import (
	"go.opentelemetry.io/otel/trace"

	"github.com/jstrace-go/jstrace"
)

// SpanContext returns the OpenTelemetry span context of a jstrace span:
// its trace and span IDs and sampled flag, so an OpenTelemetry span
// started under it (trace.ContextWithSpanContext) joins its trace. It is
// the invalid (zero) span context for a nil span.
func SpanContext(s *jstrace.Span) trace.SpanContext {
	if s == nil || !s.TraceID().IsValid() {
		return trace.SpanContext{}
	}
	var flags trace.TraceFlags
	if s.IsSampled() {
		flags = trace.FlagsSampled
	}
	return trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID(s.TraceID()),
		SpanID:     trace.SpanID(s.SpanID()),
		TraceFlags: flags,
	})
}
