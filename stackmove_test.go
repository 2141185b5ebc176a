package jstrace_test

import (
	"context"
	"runtime/debug"
	"sync"
	"testing"

	"github.com/jstrace-go/jstrace"
)

// TestStackMovesUnderProbes fires probes from goroutines at every depth
// of a fresh stack, so that, for some depth, the stack grows (and moves)
// inside the probe, between the moment a stack buffer's address is hidden
// from escape analysis (noescape) and its use. Under the race detector,
// whose checkptr instrumentation puts calls there, a hidden address kept
// as an integer pointed into the freed stack: "found bad pointer in Go
// heap". It must hold in every build.
func TestStackMovesUnderProbes(t *testing.T) {
	p := jstrace.NewProbe("test:stackmove")
	ch := jstrace.NewChannel("test:stackmove-ch")
	// A buffered subscription to one probe, a function's to both: a
	// probe whose only subscriber is a function reaches the Event's
	// buffer without a call before it.
	sub := jstrace.Subscribe(func(n string) bool { return n == "test:stackmove" }, 1<<20)
	defer sub.Close()
	var seen sync.Map
	fn := jstrace.SubscribeFunc(func(n string) bool { return n == "test:stackmove" || n == "test:stackmove-ch:start" }, func(e jstrace.Event) {
		seen.Store(e.Name(), len(e.Record()))
	})
	defer fn.Close()
	ctx, span := jstrace.StartSpan(jstrace.WithRequestID(context.Background(), "req-1"), "op")
	defer span.End()
	// With the collector off, a stack of 32 KiB or more that a goroutine
	// outgrows goes back to the heap at once, where checkptr (-race) tells
	// a pointer into it from a live one.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var wg sync.WaitGroup
	for depth := 0; depth < 6000; depth++ {
		// Each on a goroutine of its own: the stack must move in the
		// probe, not in an earlier call that grew it already.
		wg.Add(2)
		go func() {
			defer wg.Done()
			descend(depth, func() { p.Emit("depth", depth, "s", "x") })
		}()
		go func() {
			defer wg.Done()
			descend(depth, func() { ch.Start(ctx, "depth", depth).End("ok", true) })
		}()
		if depth%64 == 63 {
			wg.Wait()
			sub.Read(nil)
		}
	}
	wg.Wait()
	if _, ok := seen.Load("test:stackmove"); !ok {
		t.Fatal("the function subscription saw no event")
	}
}

// descend calls fn under n frames of descend, each a few words: over the
// depths the test tries, the stack's end falls at every point of the
// probe's path.
//
//go:noinline
func descend(n int, fn func()) {
	if n == 0 {
		fn()
		return
	}
	descend(n-1, fn)
}
