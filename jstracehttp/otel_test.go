package jstracehttp_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/jstracehttp"
)

// Interoperability with OpenTelemetry's HTTP instrumentation (otelhttp,
// the SDK, its W3C propagator), both ways, over real connections. These
// packages are test dependencies only: jstracehttp does not import them.

// otelProvider returns an SDK tracer provider recording ended spans, with
// sampler s, shut down when the test ends.
func otelProvider(t *testing.T, s sdktrace.Sampler) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithSampler(s))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	return tp, rec
}

func otelOptions(tp trace.TracerProvider) []otelhttp.Option {
	return []otelhttp.Option{otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(propagation.TraceContext{})}
}

// otelSpanOfKind returns the only span of kind rec ended.
func otelSpanOfKind(t *testing.T, rec *tracetest.SpanRecorder, kind trace.SpanKind) sdktrace.ReadOnlySpan {
	t.Helper()
	var found []sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.SpanKind() == kind {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d OpenTelemetry spans of kind %v, want 1", len(found), kind)
	}
	return found[0]
}

// An otelhttp client calls a jstrace server: the server span is in the
// client's trace, the child of otelhttp's client span, with its sampled
// flag (whatever this process's sampler says) and its tracestate.
func TestOtelClientToMiddleware(t *testing.T) {
	for _, sampled := range []bool{true, false} {
		t.Run(map[bool]string{true: "sampled", false: "not sampled"}[sampled], func(t *testing.T) {
			otelSampler, ours := sdktrace.AlwaysSample(), jstrace.NeverSample()
			if !sampled {
				otelSampler, ours = sdktrace.NeverSample(), jstrace.AlwaysSample()
			}
			withSampler(t, ours)
			tp, rec := otelProvider(t, otelSampler)
			var server jstrace.SpanContext
			var serverParent jstrace.SpanID
			var incoming string
			srv := serve(t, jstracehttp.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s := jstrace.SpanFromContext(r.Context())
				server, serverParent = s.SpanContext(), s.ParentID()
				incoming = r.Header.Get("Traceparent")
				io.WriteString(w, "ok")
			})))
			client := &http.Client{Transport: otelhttp.NewTransport(srv.Client().Transport, otelOptions(tp)...)}
			defer client.CloseIdleConnections()

			// The caller's trace carries a tracestate, which must reach us.
			ts, err := trace.ParseTraceState("vendor=abc,other=1")
			if err != nil {
				t.Fatal(err)
			}
			ctx := trace.ContextWithRemoteSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
				TraceID: trace.TraceID(mustTrace(t, inTrace)), SpanID: trace.SpanID(mustSpan(t, inSpan)),
				TraceFlags: map[bool]trace.TraceFlags{true: trace.FlagsSampled}[sampled], TraceState: ts, Remote: true,
			}))
			ctx, op := tp.Tracer("test").Start(ctx, "caller")
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/", nil)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			op.End()

			if server.TraceID.String() != inTrace || server.Sampled != sampled || server.TraceState != "vendor=abc,other=1" {
				t.Errorf("server span %+v, want trace %s sampled %v with the tracestate", server, inTrace, sampled)
			}
			if resp.Header.Get("X-Trace-ID") != inTrace {
				t.Errorf("response X-Trace-ID %q", resp.Header.Get("X-Trace-ID"))
			}
			parent := jstrace.SpanFromContext(jstrace.Extract(context.Background(), req.Header))
			if parent != nil {
				t.Error("otelhttp changed the caller's request") // it injects into a copy, as we do
			}
			// The parent is the span otelhttp sent: its client span.
			if len(incoming) != 55 || serverParent.String() != incoming[36:52] || serverParent.String() == inSpan {
				t.Errorf("server span's parent %s; otelhttp sent %q", serverParent, incoming)
			}
			if !sampled {
				return // the SDK records no unsampled span to compare with
			}
			c := otelSpanOfKind(t, rec, trace.SpanKindClient)
			if jstrace.SpanID(c.SpanContext().SpanID()) != serverParent || c.Parent().SpanID() != op.SpanContext().SpanID() {
				t.Errorf("otel client span %s (parent %s); our server span's parent %s", c.SpanContext().SpanID(), c.Parent().SpanID(), serverParent)
			}
		})
	}
}

// A jstrace client calls an otelhttp server: the OpenTelemetry server
// span is the child of our client span, in our trace, sampled as we
// decided, with our tracestate.
func TestTransportToOtelServer(t *testing.T) {
	for _, sampled := range []bool{true, false} {
		t.Run(map[bool]string{true: "sampled", false: "not sampled"}[sampled], func(t *testing.T) {
			withSampler(t, map[bool]jstrace.Sampler{true: jstrace.AlwaysSample(), false: jstrace.NeverSample()}[sampled])
			// The OpenTelemetry side follows its parent (ParentBased), as
			// the SDK does by default.
			tp, rec := otelProvider(t, sdktrace.ParentBased(sdktrace.AlwaysSample()))
			var seen trace.SpanContext
			srv := serve(t, otelhttp.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = trace.SpanContextFromContext(r.Context())
				io.WriteString(w, "ok")
			}), "server", otelOptions(tp)...))
			spans := recordSpans(t)
			client := &http.Client{Transport: jstracehttp.Transport(srv.Client().Transport)}
			defer client.CloseIdleConnections()

			ctx := jstrace.Extract(context.Background(), jstrace.MapCarrier{
				"traceparent": "00-" + inTrace + "-" + inSpan + map[bool]string{true: "-01", false: "-00"}[sampled],
				"tracestate":  "vendor=abc",
			})
			ctx, op := jstrace.StartSpan(ctx, "caller")
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/", nil)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			op.End()

			if seen.TraceID().String() != inTrace || seen.IsSampled() != sampled || seen.TraceState().String() != "vendor=abc" {
				t.Errorf("otel server span %v sampled %v state %q", seen.TraceID(), seen.IsSampled(), seen.TraceState())
			}
			if !sampled {
				if len(rec.Ended()) != 0 {
					t.Errorf("OpenTelemetry recorded %d spans of an unsampled trace", len(rec.Ended()))
				}
				return
			}
			ours := spans.one(t, "GET")
			s := otelSpanOfKind(t, rec, trace.SpanKindServer)
			if jstrace.SpanID(s.Parent().SpanID()) != ours.SpanID || !s.Parent().IsRemote() || ours.ParentID != op.SpanID() {
				t.Errorf("otel server span's parent %s (remote %v), our client span %s (parent %s, caller %s)",
					s.Parent().SpanID(), s.Parent().IsRemote(), ours.SpanID, ours.ParentID, op.SpanID())
			}
		})
	}
}
