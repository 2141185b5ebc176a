package jstrace

import (
	"context"
	"sync"
	"testing"
	"time"
)

// now follows wall-clock steps at its next rebase (clock.go): a step back
// while a span runs must not give it a negative duration (a collector
// rejects such a span as "bad duration"; time.Now's monotonic reading
// never gave one).
func TestReviewSpanDurationAcrossClockStepBack(t *testing.T) {
	var (
		mu  sync.Mutex
		got []time.Duration
	)
	stop := OnSpanEnd(func(d *SpanData) {
		mu.Lock()
		got = append(got, d.Duration)
		mu.Unlock()
	})
	t.Cleanup(stop)
	b := *clock.Load()
	b.wall += int64(50 * time.Millisecond) // the wall clock is then stepped back 50ms
	clock.Store(&b)
	t.Cleanup(func() { rebase() })
	_, s := StartSpan(context.Background(), "across a step")
	rebase()
	s.End()
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("%d spans, want 1", len(got))
	}
	if got[0] < 0 {
		t.Errorf("duration %v across a wall-clock step back, want >= 0", got[0])
	}
}
