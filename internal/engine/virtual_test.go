package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

const virtualSrc = `package main

import (
	"fmt"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Local(traces *script.Traces) {
	n := 0
	traces.On("req*", func(t *script.Trace) { n++; fmt.Printf("%s;", t.Name) })
	traces.Every(time.Second, func() { fmt.Printf("tick %d;", n) })
	traces.Every(1500*time.Millisecond, func() { fmt.Printf("slow;") })
	traces.OnCleanup(func() { fmt.Printf("end %d", n) })
}
`

// With a virtual clock, Every follows the traces' times, not the wall
// clock: ticks come between the traces they separate, every period of a
// gap runs, and a batch's Now lets time pass where no trace did. Each
// Every runs once more at the end unless it ran in the last tenth of its
// period (the final "slow" before "end 3"; none after "empty batch").
func TestVirtualClock(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	trace := func(ms int, i int) *script.Trace {
		return &script.Trace{Name: fmt.Sprintf("req %d", i), Time: t0.Add(time.Duration(ms) * time.Millisecond)}
	}
	for _, tc := range []struct {
		name    string
		batches []Batch
		want    string
	}{
		{"in order", []Batch{
			{Traces: []*script.Trace{trace(500, 1), trace(2500, 2)}},
			{Traces: []*script.Trace{trace(2600, 3)}, Now: t0.Add(4 * time.Second)},
		}, "req 1;tick 1;slow;tick 1;req 2;req 3;tick 3;slow;tick 3;slow;end 3"},
		{"not back", []Batch{
			{Traces: []*script.Trace{trace(1200, 1), trace(100, 2)}},
		}, "tick 0;req 1;req 2;tick 2;slow;end 2"},
		{"empty batch", []Batch{{Now: t0.Add(3 * time.Second)}},
			"tick 0;slow;tick 0;tick 0;slow;end 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := &fakeOutput{}
			e, err := Start("v.go", []byte(virtualSrc), Local, out, Options{Clock: t0, Block: true, LocalOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range tc.batches {
				if err := e.Dispatch(b); err != nil {
					t.Fatal(err)
				}
			}
			time.Sleep(1200 * time.Millisecond) // the wall clock runs no tick
			if err := e.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
			out.mu.Lock()
			defer out.mu.Unlock()
			if got := out.printed.String(); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// A gap of many periods runs at most maxCatchUp callbacks, then skips.
func TestVirtualClockCatchUp(t *testing.T) {
	var ts timers
	t0 := time.Unix(0, 0)
	ts.init(t0)
	defer ts.stop()
	n := 0
	ts.add(time.Millisecond, func() { n++ })
	ts.advance(t0.Add(time.Hour), func(fn func()) { fn() })
	if n != maxCatchUp {
		t.Fatalf("%d callbacks, want %d", n, maxCatchUp)
	}
	n = 0
	ts.advance(t0.Add(time.Hour+3*time.Millisecond), func(fn func()) { fn() })
	if n != 3 {
		t.Fatalf("after the skip, %d callbacks, want 3", n)
	}
	if !strings.Contains(t0.Add(time.Hour).String(), "1970") {
		t.Fatal("clock")
	}
}

// Flush returns once the batches before it are delivered: what their
// handlers printed is there.
func TestFlush(t *testing.T) {
	out := &fakeOutput{}
	e, err := Start("v.go", []byte(virtualSrc), Local, out, Options{Block: true, LocalOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		e.Dispatch(Batch{Traces: []*script.Trace{{Name: fmt.Sprintf("req %d", i)}}})
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	out.mu.Lock()
	got := out.printed.String()
	out.mu.Unlock()
	if !strings.HasSuffix(got, "req 99;") {
		t.Fatalf("after Flush: %q", got)
	}
	e.Stop(context.Background())
	if err := e.Flush(); err != ErrStopped {
		t.Fatalf("Flush after Stop: %v", err)
	}
}
