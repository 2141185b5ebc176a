package jstrace_test

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
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
	var bad atomic.Int64
	fn := jstrace.SubscribeFunc(func(n string) bool { return n == "test:stackmove" || n == "test:stackmove-ch:start" }, func(e jstrace.Event) {
		seen.Store(e.Name(), len(e.Record()))
		// The fields as given: a stale stack would show other bytes.
		kv, _ := e.Args()
		want := map[string]any{"s": "x"}
		if e.Name() != "test:stackmove" {
			want = map[string]any{"request_id": "req-1"}
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if w, ok := want[fmt.Sprint(kv[i])]; ok && kv[i+1] == w {
				delete(want, fmt.Sprint(kv[i]))
			}
		}
		if len(want) > 0 || len(e.Record()) == 0 {
			bad.Add(1)
		}
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
	if n := bad.Load(); n > 0 {
		t.Fatalf("%d events with other fields than fired", n)
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
