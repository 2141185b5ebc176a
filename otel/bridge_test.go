package otel_test

import (
	"context"
	"sync"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/otel"
)

// TestBridgeBothWays builds one trace from an OpenTelemetry SDK span, a
// jstrace child of it, and an OpenTelemetry grandchild of that, and
// checks the IDs and parent links of all three as one exporter sees them.
func TestBridgeBothWays(t *testing.T) {
	mem := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(mem))
	defer tp.Shutdown(context.Background())
	tracer := tp.Tracer("test")

	var mu sync.Mutex
	var recorded []*jstrace.SpanData
	stop := jstrace.OnSpanEnd(func(d *jstrace.SpanData) { mu.Lock(); recorded = append(recorded, d); mu.Unlock() })
	defer stop()

	ctx, parent := tracer.Start(context.Background(), "otel parent")
	jctx, child := jstrace.StartSpan(otel.ContextWithOTelParent(ctx), "jstrace child")
	_, grand := tracer.Start(trace.ContextWithSpanContext(jctx, otel.SpanContext(child)), "otel grandchild")
	grand.End()
	child.End()
	parent.End()

	psc := parent.SpanContext()
	if child.TraceID() != jstrace.TraceID(psc.TraceID()) || child.ParentID() != jstrace.SpanID(psc.SpanID()) || !child.IsSampled() {
		t.Fatalf("jstrace child %s/%s parent %s sampled %v; want a child of %v", child.TraceID(), child.SpanID(), child.ParentID(), child.IsSampled(), psc)
	}
	mu.Lock()
	if err := mem.ExportSpans(context.Background(), otel.ReadOnlySpans(recorded)); err != nil {
		t.Fatal(err)
	}
	mu.Unlock()
	byName := map[string]tracetest.SpanStub{}
	for _, s := range mem.GetSpans() {
		byName[s.Name] = s
	}
	if len(byName) != 3 {
		t.Fatalf("spans %v, want 3", byName)
	}
	for child, parent := range map[string]string{"jstrace child": "otel parent", "otel grandchild": "jstrace child"} {
		c, p := byName[child], byName[parent]
		if c.SpanContext.TraceID() != psc.TraceID() || c.Parent.SpanID() != p.SpanContext.SpanID() {
			t.Errorf("%s: trace %s parent %s; want trace %s parent %s (%s)", child, c.SpanContext.TraceID(), c.Parent.SpanID(), psc.TraceID(), p.SpanContext.SpanID(), parent)
		}
	}
}

func TestContextWithOTelParent(t *testing.T) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
	defer tp.Shutdown(context.Background())
	t.Run("unsampled OpenTelemetry trace", func(t *testing.T) {
		ctx, span := tp.Tracer("test").Start(context.Background(), "unsampled")
		defer span.End()
		_, child := jstrace.StartSpan(otel.ContextWithOTelParent(ctx), "child")
		defer child.End()
		if child.IsSampled() || child.TraceID() != jstrace.TraceID(span.SpanContext().TraceID()) {
			t.Errorf("child sampled %v trace %s; want unsampled in %s", child.IsSampled(), child.TraceID(), span.SpanContext().TraceID())
		}
	})
	t.Run("no OpenTelemetry span", func(t *testing.T) {
		ctx := context.WithValue(context.Background(), t, 1)
		if got := otel.ContextWithOTelParent(ctx); got != ctx {
			t.Errorf("context changed")
		}
	})
	t.Run("jstrace span of the same trace kept", func(t *testing.T) {
		ctx := trace.ContextWithSpanContext(context.Background(), otel.ToOTel(jstrace.SpanContext{TraceID: jstrace.TraceID{1}, SpanID: jstrace.SpanID{2}, Sampled: true}))
		ctx = otel.ContextWithOTelParent(ctx)
		ctx, s := jstrace.StartSpan(ctx, "inner")
		defer s.End()
		if got := otel.ContextWithOTelParent(ctx); got != ctx {
			t.Errorf("context changed: a child of %s would become a sibling", s.SpanID())
		}
		other := trace.ContextWithSpanContext(ctx, otel.ToOTel(jstrace.SpanContext{TraceID: jstrace.TraceID{9}, SpanID: jstrace.SpanID{9}}))
		if _, c := jstrace.StartSpan(otel.ContextWithOTelParent(other), "c"); c.TraceID() != (jstrace.TraceID{9}) {
			t.Errorf("an OpenTelemetry span of another trace does not win: %s", c.TraceID())
		}
	})
}

func TestSpanContextConversions(t *testing.T) {
	tests := []jstrace.SpanContext{
		{TraceID: jstrace.TraceID{1}, SpanID: jstrace.SpanID{2}, Sampled: true, TraceState: "a=1,b=2", Remote: true},
		{TraceID: jstrace.TraceID{3}, SpanID: jstrace.SpanID{4}},
		{}, // invalid
	}
	for _, sc := range tests {
		t.Run(sc.TraceID.String(), func(t *testing.T) {
			o := otel.ToOTel(sc)
			if o.IsValid() != sc.IsValid() || o.IsSampled() != sc.Sampled || o.IsRemote() != sc.Remote || o.TraceState().String() != sc.TraceState {
				t.Errorf("ToOTel(%+v) = %v", sc, o)
			}
			if back := otel.FromOTel(o); back != sc {
				t.Errorf("round trip %+v -> %+v", sc, back)
			}
		})
	}
	if o := otel.ToOTel(jstrace.SpanContext{TraceID: jstrace.TraceID{1}, SpanID: jstrace.SpanID{2}, TraceState: "=bad"}); !o.IsValid() || o.TraceState().Len() != 0 {
		t.Errorf("bad tracestate: %v", o)
	}
}
