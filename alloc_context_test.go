package jstrace_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/jstrace-go/jstrace"
)

// These tests guard the zero-allocation claims of the request API
// (EmitContext, TraceContext, Channels), disabled and enabled.

var (
	allocChan = jstrace.NewChannel("allocctx:op")
	allocErr  = errors.New("failed")
)

func allocOK(context.Context) error { return nil }

// allocCases fires every request API once with non-constant values.
func allocCases(p *jstrace.Probe, name string) map[string]func(ctx context.Context, n int, s string) {
	return map[string]func(ctx context.Context, n int, s string){
		"EmitContext": func(ctx context.Context, n int, s string) {
			p.EmitContext(ctx, "n", n, "s", s, "d", time.Duration(n))
		},
		"EmitContext-long": func(ctx context.Context, n int, s string) {
			p.EmitContext(ctx, "a", n, "b", s, "c", n, "d", s, "e", n, "f", s, "g", n, "h", s, "i", n)
		},
		"TraceContext": func(ctx context.Context, n int, s string) {
			jstrace.TraceContext(ctx, name, "n", n, "s", s)
		},
		"Channel": func(ctx context.Context, n int, s string) {
			op := allocChan.Start(ctx, "n", n, "s", s)
			op.Error(allocErr, n%2 == 0, "n", n)
			op.AsyncStart("s", s)
			op.End("n", n, "s", s)
			op.AsyncEnd("n", n)
			_ = allocChan.Trace(ctx, allocOK, "n", n)
		},
	}
}

func TestAllocsContextDisabled(t *testing.T) {
	p := jstrace.NewProbe("allocctx:probe")
	ctx := jstrace.WithRequestID(context.Background(), "req-1")
	for _, session := range []bool{false, true} {
		if session { // attached, but to other probes
			sub := jstrace.Subscribe(func(n string) bool { return n == "allocctx:other" }, 0)
			defer sub.Close()
			jstrace.TraceContext(ctx, "allocctx:probe") // registered
		}
		for name, fire := range allocCases(p, "allocctx:probe") {
			n, s := 0, "GET"
			got := testing.AllocsPerRun(1000, func() {
				n++
				fire(ctx, n, s)
			})
			if got != 0 {
				t.Errorf("%s disabled (session %v): %v allocs per call", name, session, got)
			}
		}
	}
	if allocChan.Enabled() || p.Enabled() {
		t.Fatal("enabled")
	}
}

func TestAllocsContextEnabled(t *testing.T) {
	p := jstrace.NewProbe("allocctx:on")
	match := func(n string) bool { return n == "allocctx:on" || len(n) > 12 && n[:12] == "allocctx:op:" }
	buffered := jstrace.Subscribe(match, 64<<20)
	defer buffered.Close()
	seen := 0
	fn := jstrace.SubscribeFunc(match, func(e jstrace.Event) {
		kv, _ := e.Args()
		seen += len(kv) + len(e.Record()) + len(e.RequestID())
		_ = e.Context()
		_ = e.Time()
	})
	defer fn.Close()
	ctx := jstrace.WithRequestID(context.Background(), "req-1")
	spanCtx, span := jstrace.StartSpan(ctx, "allocctx") // adds trace_id and span_id
	defer span.End()
	buf := make([]byte, 0, 1<<20)
	for _, c := range []struct {
		what string
		ctx  context.Context
	}{{"a request ID", ctx}, {"a request ID and a span", spanCtx}} {
		for name, fire := range allocCases(p, "allocctx:on") {
			n, s := 0, "GET"
			got := testing.AllocsPerRun(2000, func() {
				n++
				fire(c.ctx, n, s)
				if n%100 == 0 {
					buf = buffered.Read(buf[:0])
				}
			})
			if got != 0 {
				t.Errorf("%s enabled with %s: %v allocs per call", name, c.what, got)
			}
		}
	}
	if seen == 0 || buffered.Dropped() != 0 {
		t.Fatalf("the subscriptions saw nothing (%d) or dropped (%d)", seen, buffered.Dropped())
	}
}

// TestAllocsSpan: a span costs the one allocation of its context while it
// is not recorded (unsampled, or sampled with no exporter), whether or not
// a session subscribes to the span probes.
func TestAllocsSpan(t *testing.T) {
	old := jstrace.Tracing()
	defer jstrace.SetTracing(old)
	parent, root := jstrace.StartSpan(jstrace.WithRequestID(context.Background(), "req-1"), "root")
	defer root.End()
	for _, sampler := range []jstrace.Sampler{jstrace.NeverSample(), jstrace.AlwaysSample()} {
		jstrace.SetTracing(jstrace.TracingOptions{Sampler: sampler})
		for _, listened := range []bool{false, true} {
			var sub *jstrace.Subscription
			if listened {
				sub = jstrace.Subscribe(func(n string) bool { return n == "span:start" || n == "span:end" }, 64<<20)
			}
			// A traced span takes its name's record from a pool, which the
			// race detector's sync.Pool empties at random: a new one then.
			want := 1.0
			if listened && raceEnabled {
				want = 2
			}
			for _, ctx := range []context.Context{context.Background(), parent} {
				n := 0
				got := testing.AllocsPerRun(1000, func() {
					n++
					_, s := jstrace.StartSpan(ctx, "op", "n", n)
					s.SetTag("k", n)
					s.Log("m", "n", n)
					s.End()
				})
				if got > want {
					t.Errorf("span (%v, listened %v, child %v): %v allocs, want %v", sampler, listened, ctx != context.Background(), got, want)
				}
			}
			if sub != nil {
				sub.Close()
			}
		}
	}
}

// TestBytesSpanUnneeded: a span nobody needs (unsampled, no session on
// the span probes) allocates only its context, 32 bytes for a root and 48
// for a child, not the 80 bytes of one that records or is traced
// (spankinds.go; bench/README.md, Spans).
func TestBytesSpanUnneeded(t *testing.T) {
	old := jstrace.Tracing()
	defer jstrace.SetTracing(old)
	jstrace.SetTracing(jstrace.TracingOptions{Sampler: jstrace.NeverSample()})
	perSpan := func(ctx context.Context) float64 {
		const n = 20000
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := 0; i < n; i++ {
			_, s := jstrace.StartSpan(ctx, "op")
			s.End()
		}
		runtime.ReadMemStats(&after)
		return float64(after.TotalAlloc-before.TotalAlloc) / n
	}
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the sizes are those of 64-bit platforms")
	}
	if got := perSpan(context.Background()); got > 32+8 { // a little for what else the runtime allocates meanwhile
		t.Errorf("an unsampled root span allocates %.1f bytes, want 32", got)
	}
	root, _ := jstrace.StartSpan(context.Background(), "root")
	if got := perSpan(root); got > 48+8 {
		t.Errorf("an unsampled child span allocates %.1f bytes, want 48", got)
	}
	sub := jstrace.Subscribe(func(n string) bool { return n == "span:end" }, 1<<20)
	defer sub.Close()
	if got := perSpan(context.Background()); got < 80 { // the check above can tell the two apart
		t.Errorf("a traced span allocates %.1f bytes, want 80", got)
	}
}
