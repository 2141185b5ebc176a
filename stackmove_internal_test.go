package jstrace

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
)

// TestSpanLogWhileItsStackMoves: Span.Log hides its fields from escape
// analysis (noescape), then waits for the span's lock. If the goroutine's
// stack grows while it waits, the fields move with it; an address kept as
// an integer across the wait would read the old stack, which a stack of
// 32 KiB or more gives back to the heap at once (the collector off), to be
// overwritten meanwhile. For every depth of a fresh goroutine's stack, the
// logged fields must be the ones given (an inlined laundering failed at
// 15-17 depths of 2,500 in a review, its fields read as zeros).
func TestSpanLogWhileItsStackMoves(t *testing.T) {
	if testing.Short() {
		t.Skip("2,500 goroutines")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	old := Tracing()
	defer SetTracing(old)
	SetTracing(TracingOptions{Sampler: AlwaysSample()})
	var (
		mu  sync.Mutex
		got []*SpanData
	)
	stop := OnSpanEnd(func(d *SpanData) { mu.Lock(); got = append(got, d); mu.Unlock() })
	defer stop()
	var sink [][]byte
	for depth := 0; depth < 2500; depth++ {
		_, s := StartSpan(context.Background(), "op")
		if !s.IsRecording() || !s.mu.lock() {
			t.Fatal("the span does not record")
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			deepen(depth, func() { s.Log("m", "k", "v", "depth", depth) })
		}()
		runtime.Gosched() // Log runs, and waits for the lock
		// Reuse what a moved stack gave back: fresh blocks, and another
		// goroutine's frames.
		sink = sink[:0]
		for range 8 {
			sink = append(sink, make([]byte, 32<<10))
		}
		overwrite := make(chan struct{})
		go func() { defer close(overwrite); deepen(400, func() {}) }()
		<-overwrite
		s.mu.unlock()
		<-done
		s.End()
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2500 {
		t.Fatalf("%d spans exported, want 2500", len(got))
	}
	for i, d := range got {
		if len(d.Logs) != 1 || fmt.Sprint(d.Logs[0].Fields) != fmt.Sprintf("[{k v} {depth %d}]", i) {
			t.Fatalf("depth %d: logs %+v", i, d.Logs)
		}
	}
}

// deepen calls fn under n frames of its own, each a few words.
//
//go:noinline
func deepen(n int, fn func()) {
	var zero [8]uintptr
	if n == 0 {
		fn()
		return
	}
	deepen(n-1, fn)
	runtime.KeepAlive(zero)
}
