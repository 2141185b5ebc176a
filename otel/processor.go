package otel

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/jstrace-go/jstrace"
)

// The probes every jstrace span fires (see jstrace.StartSpan): NewProbe
// returns the same probes, so scripts cannot tell OpenTelemetry's spans
// from jstrace's.
var (
	spanStart = jstrace.NewProbe("span:start")
	spanEnd   = jstrace.NewProbe("span:end")
)

// SpanProcessor is an OpenTelemetry SDK span processor that fires jstrace's
// span probes for the spans of a service instrumented with OpenTelemetry,
// so that `jstrace` scripts see them as they see jstrace spans, with no
// change to the instrumentation:
//
//	tp := sdktrace.NewTracerProvider(
//		sdktrace.WithSpanProcessor(otel.NewSpanProcessor()),
//		sdktrace.WithBatcher(exporter),
//	)
//
// "span:start" gets trace_id, span_id, parent_id ("" for a root), service
// (the resource's service.name) and operation (the span's name);
// "span:end" the same, duration and, when the span's status is Error,
// error (its description, or "error"). The SDK hands the processor every
// span it starts, sampled or not (unless the sampler drops it, in which
// case it is never recorded), so sampling still decides what the backend
// gets, not what scripts see.
//
// While no session subscribes to the span probes, each method returns
// after one atomic load. A SpanProcessor has no state: it is safe for
// concurrent use, and Shutdown and ForceFlush do nothing.
type SpanProcessor struct{}

// NewSpanProcessor returns a SpanProcessor.
func NewSpanProcessor() *SpanProcessor { return &SpanProcessor{} }

var _ sdktrace.SpanProcessor = (*SpanProcessor)(nil)

// OnStart fires span:start.
func (*SpanProcessor) OnStart(_ context.Context, s sdktrace.ReadWriteSpan) {
	if !spanStart.Enabled() {
		return
	}
	sc, parent := s.SpanContext(), ""
	if p := s.Parent(); p.SpanID().IsValid() {
		parent = p.SpanID().String()
	}
	spanStart.Emit("trace_id", sc.TraceID().String(), "span_id", sc.SpanID().String(),
		"parent_id", parent, "service", serviceName(s), "operation", s.Name())
}

// OnEnd fires span:end.
func (*SpanProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	if !spanEnd.Enabled() {
		return
	}
	sc, parent := s.SpanContext(), ""
	if p := s.Parent(); p.SpanID().IsValid() {
		parent = p.SpanID().String()
	}
	kv := []any{"trace_id", sc.TraceID().String(), "span_id", sc.SpanID().String(),
		"parent_id", parent, "service", serviceName(s), "operation", s.Name(),
		"duration", s.EndTime().Sub(s.StartTime())}
	if st := s.Status(); st.Code == codes.Error {
		msg := st.Description
		if msg == "" {
			msg = "error"
		}
		kv = append(kv, "error", msg)
	}
	spanEnd.Emit(kv...)
}

// Shutdown does nothing.
func (*SpanProcessor) Shutdown(context.Context) error { return nil }

// ForceFlush does nothing.
func (*SpanProcessor) ForceFlush(context.Context) error { return nil }

const serviceNameKey = attribute.Key("service.name")

func serviceName(s sdktrace.ReadOnlySpan) string {
	if r := s.Resource(); r != nil {
		if v, ok := r.Set().Value(serviceNameKey); ok {
			return v.AsString()
		}
	}
	return ""
}
