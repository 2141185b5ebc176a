package engine

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// With one call in inlineTimeEvery timed, a handler slow at every call is
// still queued, after some inlineSlow × inlineTimeEvery calls; and the
// time the calls count against the budget, the timed ones' scaled, is of
// the order of what they all took.
func TestInlineTimedSample(t *testing.T) {
	e, err := Start("s.go", []byte(slowAndFast), Remote, &fakeOutput{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop(context.Background())
	if e.timeEvery != inlineTimeEvery {
		t.Fatalf("timeEvery %d, want %d", e.timeEvery, inlineTimeEvery)
	}
	var ahead atomic.Int64
	if !inlineSoon(e, "fast", &ahead) {
		t.Fatal("not inline")
	}

	// The budget: 4,000 fast calls; 250 timed, on average.
	cpu0 := e.CPU()
	var took time.Duration
	for range 4000 {
		start := time.Now()
		if !e.Inline("fast", &ahead, trace("fast")) {
			t.Fatal("not inline")
		}
		took += time.Since(start)
	}
	e.Inlined() // publishes
	// A timed call the machine stretches counts up to inlineBudget
	// sixteen times over (see scaled).
	if cpu := e.CPU() - cpu0; cpu < took/20 || cpu > 3*took+2*inlineTimeEvery*inlineBudget {
		t.Errorf("the calls counted %v against the budget; they took %v", cpu, took)
	}

	// The slow handler: three timed calls in a row, 48 calls on average;
	// 600 leave one chance in ~10^12 of fewer than three timed.
	calls := 0
	for ; calls < 600 && e.Inline("slow", &ahead, trace("slow")); calls++ {
	}
	if _, demoted := e.Inlined(); demoted != 1 {
		t.Fatalf("not queued after %d slow calls", calls)
	}
	t.Logf("queued after %d slow calls", calls)
	if !e.Inline("fast", &ahead, trace("fast")) {
		t.Error("another handler no longer inline")
	}
}

// With one call in timeEvery timed, a handler queued for three slow
// timed calls (counting for 48) and a fourth from elsewhere do not turn
// inline calls off for the whole script, as 64 estimated would alone: it
// takes inlineSlowTimed timed slow calls at least.
func TestInlineOffNeedsTimedSlowCalls(t *testing.T) {
	e, err := Start("s.go", []byte(slowAndFast), Remote, &fakeOutput{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop(context.Background())
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.timeEvery != inlineTimeEvery {
		t.Fatalf("timeEvery %d", e.timeEvery)
	}
	for i := 1; i <= inlineSlowTimed; i++ {
		e.judge(0, 2*time.Millisecond)
		if off := e.inlineOff.Load(); off != (i == inlineSlowTimed) {
			t.Fatalf("after %d timed slow calls, inline off: %v", i, off)
		}
	}
}
