package jstrace_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jstrace-go/jstrace"
)

// held keeps what a sink received, and a copy of its identity to check
// the span against later.
type held struct {
	d  *jstrace.SpanData
	id jstrace.SpanID
	op string
}

func endSpan(op string) {
	_, s := jstrace.StartSpan(context.Background(), op, "k", op)
	s.End()
}

// TestLoanRecycles: a borrowed span stays whole while retained, however
// many spans come and go meanwhile, and is reused once released for the
// last time (not checked under the race detector, whose sync.Pool drops
// things at random).
func TestLoanRecycles(t *testing.T) {
	var got []held
	keep := true
	stop := jstrace.OnSpanEndLoan(func(d *jstrace.SpanData) {
		if !keep {
			d.Release()
			return
		}
		d.Retain() // two holders, as two exporters
		got = append(got, held{d, d.SpanID, d.Operation})
	})
	defer stop()
	endSpan("loaned")
	keep = false
	if len(got) != 1 {
		t.Fatalf("sink called %d times", len(got))
	}
	h := got[0]
	intact := func(when string) {
		if h.d.SpanID != h.id || h.d.Operation != "loaned" || len(h.d.Tags) != 1 {
			t.Fatalf("span changed %s: %+v", when, h.d)
		}
	}
	for range 1000 {
		endSpan("other")
	}
	intact("while retained twice")
	h.d.Release()
	for range 1000 {
		endSpan("other")
	}
	intact("while retained once")
	h.d.Release()
	if raceEnabled {
		return
	}
	for range 1000 {
		endSpan("other")
		if h.d.SpanID != h.id {
			return // reused
		}
	}
	t.Fatalf("span never reused after its last release")
}

// TestLoanNeedsEveryBorrower: while a sink that keeps spans is
// registered, no span is recycled, whatever the borrowers release; also
// for a span taken from the pool before that sink came.
func TestLoanNeedsEveryBorrower(t *testing.T) {
	var mu sync.Mutex
	var kept []held
	stopLoan := jstrace.OnSpanEndLoan(func(d *jstrace.SpanData) {
		d.Retain()
		d.Release()
		d.Release()
	})
	defer stopLoan()

	_, early := jstrace.StartSpan(context.Background(), "early") // pooled: only a borrower yet
	stopKeep := jstrace.OnSpanEnd(func(d *jstrace.SpanData) {
		mu.Lock()
		kept = append(kept, held{d, d.SpanID, d.Operation})
		mu.Unlock()
	})
	defer stopKeep()
	early.End()
	for i := 0; i < 100; i++ {
		endSpan("later")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(kept) != 101 {
		t.Fatalf("kept %d spans, want 101", len(kept))
	}
	for i, h := range kept {
		if h.d.SpanID != h.id || h.d.Operation != h.op || h.d.Operation == "" {
			t.Fatalf("kept span %d was recycled: %+v", i, h.d)
		}
	}
}

// TestLoanWithoutSinks: a pooled span ending after every sink went away
// is simply recycled, and Retain/Release on a span nobody lends are
// harmless.
func TestLoanWithoutSinks(t *testing.T) {
	stop := jstrace.OnSpanEndLoan((*jstrace.SpanData).Release)
	_, s := jstrace.StartSpan(context.Background(), "orphan")
	stop()
	s.End()

	var d *jstrace.SpanData
	stop = jstrace.OnSpanEnd(func(x *jstrace.SpanData) { d = x })
	endSpan("kept")
	stop()
	d.Retain()
	d.Release()
	d.Release()
	if d.Operation != "kept" {
		t.Fatalf("a kept span was emptied by Release: %+v", d)
	}
}

// TestAllocsSpanSinks guards a recorded span's allocations (see
// TestAllocsSpan for the others): the one of its context while the sinks
// borrow (and give the span back before the next starts), and a second
// for its SpanData while a sink keeps spans. Under the race detector sync.Pool drops some of what it
// is given, so the borrowed case is not exact there.
func TestAllocsSpanSinks(t *testing.T) {
	defer jstrace.SetTracing(jstrace.TracingOptions{})
	ctx := context.Background()
	span := func() {
		_, s := jstrace.StartSpan(ctx, "op")
		s.End()
	}
	for _, tc := range []struct {
		name    string
		sampler jstrace.Sampler
		sink    func(func(*jstrace.SpanData)) func()
		want    float64
	}{
		{"sampled, borrowed", jstrace.AlwaysSample(), jstrace.OnSpanEndLoan, 1},
		{"sampled, kept", jstrace.AlwaysSample(), jstrace.OnSpanEnd, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jstrace.SetTracing(jstrace.TracingOptions{Sampler: tc.sampler})
			if tc.sink != nil {
				defer tc.sink((*jstrace.SpanData).Release)()
			}
			if raceEnabled && tc.sink != nil && tc.want == 1 {
				t.Skip("the race detector's sync.Pool drops what it is given at random")
			}
			got := testing.AllocsPerRun(1000, span)
			if got != tc.want {
				t.Errorf("%v allocs per span, want %v", got, tc.want)
			}
		})
	}
}
