package bench

import (
	"context"
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/jstrace-go/jstrace"
)

// The cost of carrying a trace across one hop: the client injects its
// span into the request's headers, the server extracts it. jstrace's
// Inject writes traceparent and the X-Trace-ID/X-Span-ID/X-Parent-Span-ID
// headers (four headers for a span with a parent, no tracestate);
// OpenTelemetry's TraceContext propagator writes traceparent alone. The
// header map is reused, as a request's would be filled once.

const benchTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func BenchmarkPropagationHop(b *testing.B) {
	// jstrace: a span whose parent came from another service.
	jctx := jstrace.Extract(context.Background(), jstrace.MapCarrier{"traceparent": benchTraceparent})
	jctx, span := jstrace.StartSpan(jctx, "call")
	defer span.End()

	// OpenTelemetry: the same span context, as the SDK would hold it.
	var tid trace.TraceID = trace.TraceID(span.TraceID())
	var sid trace.SpanID = trace.SpanID(span.SpanID())
	octx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled,
	}))
	prop := propagation.TraceContext{}

	b.Run("jstrace/http.Header", func(b *testing.B) {
		h := http.Header{}
		b.ReportAllocs()
		for b.Loop() {
			jstrace.Inject(jctx, h)
			if jstrace.SpanFromContext(jstrace.Extract(context.Background(), h)) == nil {
				b.Fatal("no parent extracted")
			}
		}
	})
	b.Run("jstrace/MapCarrier", func(b *testing.B) {
		m := jstrace.MapCarrier{}
		b.ReportAllocs()
		for b.Loop() {
			jstrace.Inject(jctx, m)
			if jstrace.SpanFromContext(jstrace.Extract(context.Background(), m)) == nil {
				b.Fatal("no parent extracted")
			}
		}
	})
	b.Run("otel/HeaderCarrier", func(b *testing.B) {
		h := http.Header{}
		b.ReportAllocs()
		for b.Loop() {
			prop.Inject(octx, propagation.HeaderCarrier(h))
			if !trace.SpanContextFromContext(prop.Extract(context.Background(), propagation.HeaderCarrier(h))).IsValid() {
				b.Fatal("no parent extracted")
			}
		}
	})
	b.Run("otel/MapCarrier", func(b *testing.B) {
		m := propagation.MapCarrier{}
		b.ReportAllocs()
		for b.Loop() {
			prop.Inject(octx, m)
			if !trace.SpanContextFromContext(prop.Extract(context.Background(), m)).IsValid() {
				b.Fatal("no parent extracted")
			}
		}
	})
}
