package jstrace_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
)

// Spans nobody needs keep less than others (an unsampled root keeps its
// trace ID's random bits only, a child its IDs but not its parent's or
// its request ID: spankinds.go), and find the rest when asked. Whatever
// kind of context a span lives in, its IDs, parent, request ID and
// tracestate read the same through every way there is to read them:
// its methods, its children, Inject, and the fields of the probes.
func TestSpansNobodyNeedsReadAsOthers(t *testing.T) {
	jstrace.SetTracing(jstrace.TracingOptions{Sampler: jstrace.NeverSample()})
	t.Cleanup(func() { jstrace.SetTracing(jstrace.TracingOptions{}) })

	ctx0 := jstrace.WithRequestID(context.Background(), "rid-1")
	ctx1, root := jstrace.StartSpan(ctx0, "root") // lean root: 32 bytes
	defer root.End()
	ctx2, child := jstrace.StartSpan(ctx1, "child") // lean child: 48 bytes
	defer child.End()
	ctx3, grand := jstrace.StartSpan(jstrace.WithRequestID(ctx2, "rid-2"), "grandchild")
	defer grand.End()

	if !root.TraceID().IsValid() || !root.SpanID().IsValid() || root.ParentID().IsValid() || root.IsSampled() {
		t.Fatalf("root: trace %s span %s parent %q sampled %v", root.TraceID(), root.SpanID(), root.ParentID(), root.IsSampled())
	}
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		s      *jstrace.Span
		parent jstrace.SpanID
		rid    string
	}{
		{"root", ctx1, root, jstrace.SpanID{}, "rid-1"},
		{"child", ctx2, child, root.SpanID(), "rid-1"},
		{"grandchild", ctx3, grand, child.SpanID(), "rid-2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			if s.TraceID() != root.TraceID() || s.ParentID() != tc.parent || jstrace.RequestID(tc.ctx) != tc.rid {
				t.Errorf("trace %s parent %q request %q, want %s %q %q", s.TraceID(), s.ParentID(), jstrace.RequestID(tc.ctx), root.TraceID(), tc.parent, tc.rid)
			}
			if sc := s.SpanContext(); sc.TraceID != s.TraceID() || sc.SpanID != s.SpanID() || sc.Sampled || sc.Remote {
				t.Errorf("SpanContext %+v", sc)
			}
			m := jstrace.MapCarrier{}
			jstrace.Inject(tc.ctx, m)
			want := "00-" + s.TraceID().String() + "-" + s.SpanID().String() + "-00"
			if m["traceparent"] != want || m["x-parent-span-id"] != tc.parent.String() {
				t.Errorf("injected %v, want traceparent %s and parent %q", m, want, tc.parent)
			}
			// A span started while a session traces the span probes keeps
			// everything itself: it must read the same.
			var fields string
			sub := jstrace.SubscribeFunc(func(p string) bool { return p == "span:end" }, func(e jstrace.Event) {
				kv, _ := e.Args() // lent: read here
				fields = fmt.Sprint(kv)
			})
			_, full := jstrace.StartSpan(tc.ctx, "traced")
			full.End()
			sub.Close()
			if full.TraceID() != s.TraceID() || full.ParentID() != s.SpanID() {
				t.Errorf("traced child: trace %s parent %s, want %s %s", full.TraceID(), full.ParentID(), s.TraceID(), s.SpanID())
			}
			for _, f := range []string{"request_id " + tc.rid, "trace_id " + s.TraceID().String(), "parent_id " + s.SpanID().String()} {
				if !strings.Contains(fields, f) {
					t.Errorf("span:end %s lacks %q", fields, f)
				}
			}
		})
	}
	// Across a hop: the receiver's remote parent is the sender's span.
	m := jstrace.MapCarrier{}
	jstrace.Inject(ctx1, m)
	_, next := jstrace.StartSpan(jstrace.Extract(context.Background(), m), "next hop")
	defer next.End()
	if next.TraceID() != root.TraceID() || next.ParentID() != root.SpanID() || next.IsSampled() {
		t.Errorf("next hop: trace %s parent %s sampled %v", next.TraceID(), next.ParentID(), next.IsSampled())
	}
	// A context names its span.
	if got := fmt.Sprint(ctx1); !strings.Contains(got, root.TraceID().String()+"/"+root.SpanID().String()) {
		t.Errorf("root's context prints %q", got)
	}
}

// A chain of spans nobody needs, as a recursion starting a span a level
// makes, still finds the request ID and tracestate above it.
func TestDeepChainOfLeanSpans(t *testing.T) {
	jstrace.SetTracing(jstrace.TracingOptions{Sampler: jstrace.NeverSample()})
	t.Cleanup(func() { jstrace.SetTracing(jstrace.TracingOptions{}) })
	ctx := jstrace.Extract(context.Background(), jstrace.MapCarrier{"traceparent": tp00, "tracestate": "a=1"})
	ctx = jstrace.WithRequestID(ctx, "deep")
	var parent, s *jstrace.Span
	for i := 0; i < 100000; i++ {
		parent = s
		ctx, s = jstrace.StartSpan(ctx, "level")
	}
	if jstrace.RequestID(ctx) != "deep" || s.SpanContext().TraceState != "a=1" || s.ParentID() != parent.SpanID() {
		t.Errorf("request ID %q, tracestate %q, parent %s (want %s)", jstrace.RequestID(ctx), s.SpanContext().TraceState, s.ParentID(), parent.SpanID())
	}
}

// fallbackCtx answers Value from the request context it points to, which
// the caller changes: gin's Context with ContextWithFallback, reused
// across requests, is one.
type fallbackCtx struct {
	context.Context
	req context.Context
}

func (c *fallbackCtx) Value(key any) any { return c.req.Value(key) }

// A span answers what it was started with, whatever the context it
// started from answers later: a middleware that starts a span from a
// framework's context and then stores the span's context in that
// framework context's request makes the framework context answer the
// span itself (a lookup of the span's parent through it would never
// end), and a pooled context reused for the next request answers that
// request's span (a lookup would give the wrong parent and request ID).
// Found by a review (helper) of the 32- and 48-byte contexts, which first
// looked these up again.
func TestSpanKeepsWhatItStartedWith(t *testing.T) {
	for _, sampler := range []jstrace.Sampler{jstrace.NeverSample(), jstrace.AlwaysSample()} {
		t.Run(fmt.Sprint(sampler), func(t *testing.T) {
			jstrace.SetTracing(jstrace.TracingOptions{Sampler: sampler})
			t.Cleanup(func() { jstrace.SetTracing(jstrace.TracingOptions{}) })
			ctxA, rootA := jstrace.StartSpan(jstrace.WithRequestID(context.Background(), "A"), "A")
			gc := &fallbackCtx{Context: context.Background(), req: ctxA}
			ctx, child := jstrace.StartSpan(gc, "handler of A")
			gc.req = ctx // c.Request = c.Request.WithContext(ctx)
			check := func(when string) {
				t.Helper()
				done := make(chan struct{})
				var parent jstrace.SpanID
				var rid string
				m := jstrace.MapCarrier{}
				go func() {
					defer close(done)
					parent, rid = child.ParentID(), jstrace.RequestID(ctx)
					jstrace.Inject(ctx, m)
				}()
				select {
				case <-done:
				case <-time.After(5 * time.Second):
					t.Fatalf("%s: ParentID, RequestID or Inject does not return", when)
				}
				if parent != rootA.SpanID() || rid != "A" || m["x-parent-span-id"] != rootA.SpanID().String() || child.TraceID() != rootA.TraceID() {
					t.Errorf("%s: parent %s, request %q, injected %v; want A's (%s)", when, parent, rid, m, rootA.SpanID())
				}
			}
			check("while the framework's context answers the span")
			ctxB, _ := jstrace.StartSpan(jstrace.WithRequestID(context.Background(), "B"), "B")
			gc.req = ctxB // the pooled context serves the next request
			check("once the framework's context serves another request")
		})
	}
}

// A zero Span, made without StartSpan, answers zero IDs like a nil one
// and does nothing.
func TestZeroSpan(t *testing.T) {
	var s jstrace.Span
	if s.TraceID().IsValid() || s.SpanID().IsValid() || s.ParentID().IsValid() || s.IsSampled() || s.IsRecording() || s.SpanContext() != (jstrace.SpanContext{}) {
		t.Errorf("a zero Span reads %+v, parent %s", s.SpanContext(), s.ParentID())
	}
	s.SetTag("k", "v")
	s.SetError(fmt.Errorf("x"))
	s.End()
}
