package jstrace_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
)

// These tests guard the zero-allocation claims of the probe API: a refactor
// that makes kv escape, or boxes a value on the hot path, fails them.

var sinkInt int

func TestAllocsDisabledProbe(t *testing.T) {
	p := jstrace.NewProbe("alloc:disabled")
	n, s := 12345, "value"
	got := testing.AllocsPerRun(1000, func() {
		n++
		if p.Enabled() {
			p.Emit("n", n, "s", s)
		}
	})
	if got != 0 {
		t.Fatalf("guarded disabled probe: %v allocs per call", got)
	}
	got = testing.AllocsPerRun(1000, func() {
		n++
		p.Emit("n", n, "s", s, "d", time.Duration(n))
	})
	if got != 0 {
		t.Fatalf("unguarded disabled Emit: %v allocs per call", got)
	}
}

func TestAllocsTraceNoSession(t *testing.T) {
	n, s := 12345, "value"
	got := testing.AllocsPerRun(1000, func() {
		n++
		jstrace.Trace("alloc:nosession", "n", n, "s", s, "f", float64(n))
	})
	if got != 0 {
		t.Fatalf("Trace without session: %v allocs per call", got)
	}
}

func TestAllocsTraceUnsubscribed(t *testing.T) {
	sub := jstrace.Subscribe(func(n string) bool { return n == "alloc:other" }, 0)
	defer sub.Close()
	n := 0
	jstrace.Trace("alloc:unsubscribed", "n", n) // registers the name
	got := testing.AllocsPerRun(1000, func() {
		n++
		jstrace.Trace("alloc:unsubscribed", "n", n, "f", float64(n))
	})
	if got != 0 {
		t.Fatalf("Trace with a session that does not subscribe: %v allocs per call", got)
	}
}

func TestAllocsEnabledEmit(t *testing.T) {
	p := jstrace.NewProbe("alloc:enabled")
	sub := jstrace.Subscribe(func(n string) bool { return n == "alloc:enabled" }, 64<<20)
	defer sub.Close()
	n, s := 0, "GET"
	buf := make([]byte, 0, 1<<20)
	got := testing.AllocsPerRun(10000, func() {
		n++
		p.Emit("id", n, "method", s, "status", 200, "duration", time.Duration(n))
		if n%1000 == 0 {
			buf = sub.Read(buf[:0])
		}
	})
	if got != 0 {
		t.Fatalf("enabled Emit: %v allocs per call", got)
	}
	jstrace.Trace("alloc:enabled", "n", n)
	got = testing.AllocsPerRun(10000, func() {
		n++
		jstrace.Trace("alloc:enabled", "id", n, "method", s)
		if n%1000 == 0 {
			buf = sub.Read(buf[:0])
		}
	})
	if got != 0 {
		t.Fatalf("enabled Trace: %v allocs per call", got)
	}
}

// Inject costs one allocation of its own (the values share it), plus the
// carrier's: a MapCarrier with room, none; an http.Header, the one-value
// slice of each header. Extract costs the one context when
// it finds a parent, nothing when it does not.
func TestAllocsInjectExtract(t *testing.T) {
	ctx := jstrace.Extract(context.Background(), jstrace.MapCarrier{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
	ctx, s := jstrace.StartSpan(ctx, "call")
	defer s.End()
	m := jstrace.MapCarrier{}
	h := http.Header{}
	jstrace.Inject(ctx, m)
	jstrace.Inject(ctx, h)
	bad := http.Header{"Traceparent": {"00-bad"}, "X-Trace-Id": {"00"}}
	for _, tc := range []struct {
		name string
		max  float64
		f    func()
	}{
		{"Inject, MapCarrier", 1, func() { jstrace.Inject(ctx, m) }},
		// No tracestate: four headers.
		{"Inject, http.Header", 1 + 4, func() { jstrace.Inject(ctx, h) }},
		{"Extract, found", 1, func() { jstrace.Extract(context.Background(), h) }},
		{"Extract, none", 0, func() { jstrace.Extract(context.Background(), bad) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := testing.AllocsPerRun(1000, tc.f); got != tc.max {
				t.Errorf("%v allocs, want %v", got, tc.max)
			}
		})
	}
}
