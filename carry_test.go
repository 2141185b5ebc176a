package jstrace_test

import (
	"context"
	"testing"

	"github.com/jstrace-go/jstrace"
)

// A span carries its request ID and the trace's tracestate to its
// children, whatever order Extract, WithRequestID and StartSpan came in,
// and a request ID set below a span replaces the one above for the spans
// under it only.
func TestSpanCarriesRequestIDAndTraceState(t *testing.T) {
	ctx := jstrace.Extract(context.Background(), jstrace.MapCarrier{"traceparent": tp00, "tracestate": "a=1,b=2"})
	ctx = jstrace.WithRequestID(ctx, "rid-1")
	ctx, server := jstrace.StartSpan(ctx, "server")
	defer server.End()
	childCtx, child := jstrace.StartSpan(ctx, "child")
	defer child.End()
	otherCtx, other := jstrace.StartSpan(jstrace.WithRequestID(childCtx, "rid-2"), "other")
	defer other.End()
	_, grandchild := jstrace.StartSpan(childCtx, "grandchild")
	defer grandchild.End()

	for _, tc := range []struct {
		name   string
		ctx    context.Context
		s      *jstrace.Span
		rid    string
		parent *jstrace.Span
	}{
		{"server", ctx, server, "rid-1", nil},
		{"child", childCtx, child, "rid-1", server},
		{"other", otherCtx, other, "rid-2", child},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := jstrace.RequestID(tc.ctx); got != tc.rid {
				t.Errorf("RequestID = %q, want %q", got, tc.rid)
			}
			if jstrace.SpanFromContext(tc.ctx) != tc.s {
				t.Errorf("SpanFromContext is not the span")
			}
			if tc.parent != nil && tc.s.ParentID() != tc.parent.SpanID() {
				t.Errorf("parent %s, want %s", tc.s.ParentID(), tc.parent.SpanID())
			}
			if sc := tc.s.SpanContext(); sc.TraceState != "a=1,b=2" || sc.TraceID != server.TraceID() {
				t.Errorf("span context %+v: tracestate or trace lost", sc)
			}
			m := jstrace.MapCarrier{}
			jstrace.Inject(tc.ctx, m)
			if m["tracestate"] != "a=1,b=2" {
				t.Errorf("injected %v: tracestate lost", m)
			}
		})
	}
	if grandchild.ParentID() != child.SpanID() || jstrace.RequestID(childCtx) != "rid-1" {
		t.Errorf("a request ID set under the child leaked to its other children")
	}
	// A remote parent whose tracestate differs from the context's.
	ctx2 := jstrace.ContextWithRemoteParent(childCtx, jstrace.SpanContext{TraceID: server.TraceID(), SpanID: child.SpanID(), Sampled: true, TraceState: "c=3"})
	_, s2 := jstrace.StartSpan(ctx2, "next hop")
	defer s2.End()
	if s2.SpanContext().TraceState != "c=3" || jstrace.RequestID(ctx2) != "rid-1" {
		t.Errorf("remote parent's own tracestate %q, request ID %q", s2.SpanContext().TraceState, jstrace.RequestID(ctx2))
	}
}
