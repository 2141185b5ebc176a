package engine

import (
	"context"
	"testing"
	"time"
)

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
