package otel

import (
	"context"

	"go.opentelemetry.io/otel/trace"

	"github.com/jstrace-go/jstrace"
)

// SpanContext returns the OpenTelemetry span context of a jstrace span:
// its trace and span IDs, sampled flag and tracestate, remote if the span
// is a parent from another process ([jstrace.Extract]). An OpenTelemetry
// span started under it joins its trace:
//
//	ctx = trace.ContextWithSpanContext(ctx, otel.SpanContext(jstrace.SpanFromContext(ctx)))
//
// It is the invalid (zero) span context for a nil span.
func SpanContext(s *jstrace.Span) trace.SpanContext {
	return ToOTel(s.SpanContext())
}

// ToOTel converts a jstrace span context to OpenTelemetry's. A tracestate
// OpenTelemetry refuses is dropped.
func ToOTel(sc jstrace.SpanContext) trace.SpanContext {
	if !sc.IsValid() {
		return trace.SpanContext{}
	}
	var flags trace.TraceFlags
	if sc.Sampled {
		flags = trace.FlagsSampled
	}
	ts, _ := trace.ParseTraceState(sc.TraceState)
	return trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID(sc.TraceID), SpanID: trace.SpanID(sc.SpanID),
		TraceFlags: flags, TraceState: ts, Remote: sc.Remote,
	})
}

// FromOTel converts an OpenTelemetry span context to jstrace's.
func FromOTel(sc trace.SpanContext) jstrace.SpanContext {
	if !sc.IsValid() {
		return jstrace.SpanContext{}
	}
	return jstrace.SpanContext{
		TraceID: jstrace.TraceID(sc.TraceID()), SpanID: jstrace.SpanID(sc.SpanID()),
		Sampled: sc.IsSampled(), TraceState: sc.TraceState().String(), Remote: sc.IsRemote(),
	}
}

// ContextWithOTelParent returns a copy of ctx in which the next
// [jstrace.StartSpan] continues the trace of the OpenTelemetry span ctx
// holds (trace.SpanContextFromContext): a service instrumented with
// OpenTelemetry (otelhttp, say) gets jstrace spans inside its traces.
// The jstrace span is a child of the OpenTelemetry span, sampled if it
// is. It is the bridge at a boundary: call it where a handler begins.
//
// ctx is returned unchanged if it holds no valid OpenTelemetry span
// context, or already holds a jstrace span made from it (its child) or
// that it was made from ([SpanContext]): spans started on it stay
// children of that jstrace span. It costs one allocation.
func ContextWithOTelParent(ctx context.Context) context.Context {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return ctx
	}
	// Unchanged if the OpenTelemetry span is the jstrace span itself
	// (SpanContext) or its parent (bridged already); an OpenTelemetry span
	// started inside the jstrace span is the newer one and becomes the parent.
	if s := jstrace.SpanFromContext(ctx); s != nil && s.TraceID() == jstrace.TraceID(sc.TraceID()) &&
		(s.SpanID() == jstrace.SpanID(sc.SpanID()) || s.ParentID() == jstrace.SpanID(sc.SpanID())) {
		return ctx
	}
	return jstrace.ContextWithRemoteParent(ctx, FromOTel(sc))
}
