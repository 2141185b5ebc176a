package jstrace_test

import (
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
