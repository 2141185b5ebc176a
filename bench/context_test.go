package bench

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/jstrace-go/jstrace"
)

// The request API at its call sites (EmitContext, TraceContext, a
// Channel's Start and End), with a request ID in the context, beside
// OpenTelemetry's nearest equivalents: an event on the context's span
// (AddEvent) and a span per operation (Start and End). Keep these names
// stable.

var (
	ctxProbe   = jstrace.NewProbe("bench:ctx")
	benchChan  = jstrace.NewChannel("bench:chan")
	requestCtx = jstrace.WithRequestID(context.Background(), "7f3a9c2e-b1d0-4c55")
)

// BenchmarkDisabledContext: nobody is tracing.
func BenchmarkDisabledContext(b *testing.B) {
	id, method := 0, "GET"
	ctx := requestCtx
	b.Run("jstrace-emitcontext-guarded", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			id++
			if ctxProbe.Enabled() {
				ctxProbe.EmitContext(ctx, "id", id, "method", method)
			}
		}
	})
	b.Run("jstrace-emitcontext", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			id++
			ctxProbe.EmitContext(ctx, "id", id, "method", method)
		}
	})
	b.Run("jstrace-tracecontext", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			id++
			jstrace.TraceContext(ctx, "bench:ctx-nosession", "id", id, "method", method)
		}
	})
	b.Run("jstrace-tracecontext-unsubscribed", func(b *testing.B) {
		sub := jstrace.Subscribe(func(n string) bool { return n == "bench:other" }, 0)
		defer sub.Close()
		jstrace.TraceContext(ctx, "bench:ctx-unsubscribed") // registers the name
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			id++
			jstrace.TraceContext(ctx, "bench:ctx-unsubscribed", "id", id, "method", method)
		}
	})
	b.Run("jstrace-channel-enabled", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			id++
			if benchChan.Enabled() {
				b.Fatal("enabled")
			}
		}
	})
	b.Run("jstrace-channel-start-end", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			id++
			op := benchChan.Start(ctx, "id", id, "method", method)
			op.End("status", 200)
		}
	})
	b.Run("otel-noop-addevent", func(b *testing.B) { // the global tracer with no SDK installed
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			id++
			trace.SpanFromContext(ctx).AddEvent("query", trace.WithAttributes(attribute.Int("id", id), attribute.String("method", method)))
		}
	})
	b.Run("otel-noop-span-start-end", func(b *testing.B) {
		tr := otel.Tracer("bench")
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			id++
			_, span := tr.Start(ctx, "request", trace.WithAttributes(attribute.Int("id", id), attribute.String("method", method)))
			span.SetAttributes(attribute.Int("status", 200))
			span.End()
		}
	})
}

// BenchmarkEnabledContext: a session subscribes and the events are shipped
// (read from the session buffer, as the agent's pump does), or an
// in-process subscriber (jstrace.On) reads them.
func BenchmarkEnabledContext(b *testing.B) {
	id, method := 0, "GET"
	ctx := requestCtx
	b.Run("jstrace-emitcontext", func(b *testing.B) {
		drain := subscribeAndDrain(b, "bench:ctx")
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			id++
			ctxProbe.EmitContext(ctx, "id", id, "method", method, "status", 200, "duration", time.Duration(id))
			drain(i)
		}
	})
	b.Run("jstrace-tracecontext", func(b *testing.B) {
		drain := subscribeAndDrain(b, "bench:ctx-trace")
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			id++
			jstrace.TraceContext(ctx, "bench:ctx-trace", "id", id, "method", method, "status", 200, "duration", time.Duration(id))
			drain(i)
		}
	})
	b.Run("jstrace-channel-start-end", func(b *testing.B) {
		sub := jstrace.Subscribe(func(n string) bool { return n == "bench:chan:start" || n == "bench:chan:end" }, 64<<20)
		defer sub.Close()
		buf := make([]byte, 0, 64<<20)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			id++
			op := benchChan.Start(ctx, "id", id, "method", method)
			op.End("status", 200)
			if i%2048 == 2047 {
				b.StopTimer()
				buf = sub.Read(buf[:0])
				b.StartTimer()
			}
		}
	})
	b.Run("jstrace-channel-start-end-on", func(b *testing.B) { // an in-process subscriber reading the fields
		n := 0
		stop, err := jstrace.On("bench:chan:*", func(e jstrace.Event) {
			kv, _ := e.Args()
			n += len(kv) + len(e.RequestID())
		})
		if err != nil {
			b.Fatal(err)
		}
		defer stop()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			id++
			op := benchChan.Start(ctx, "id", id, "method", method)
			op.End("status", 200)
		}
	})
	b.Run("otel-sdk-addevent", func(b *testing.B) {
		exp := tracetest.NewNoopExporter()
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
		defer tp.Shutdown(context.Background())
		ctx, span := tp.Tracer("bench").Start(ctx, "request")
		defer span.End()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ { // past the span's 128 events, the SDK counts and drops them
			id++
			trace.SpanFromContext(ctx).AddEvent("query", trace.WithAttributes(attribute.Int("id", id), attribute.String("method", method),
				attribute.Int("status", 200), attribute.Int64("duration", int64(id))))
		}
	})
	b.Run("otel-sdk-span-start-end", func(b *testing.B) {
		exp := tracetest.NewNoopExporter()
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
		defer tp.Shutdown(context.Background())
		tr := tp.Tracer("bench")
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			id++
			_, span := tr.Start(ctx, "request", trace.WithAttributes(attribute.Int("id", id), attribute.String("method", method)))
			span.SetAttributes(attribute.Int("status", 200))
			span.End()
		}
	})
}
