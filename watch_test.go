package jstrace_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/jstrace-go/jstrace"
)

func TestProbeWatch(t *testing.T) {
	p := jstrace.NewProbe("test:watch:probe")
	var mu sync.Mutex
	var got []bool
	p.Watch(func(on bool) {
		mu.Lock()
		got = append(got, on)
		mu.Unlock()
	})
	t.Cleanup(func() { p.Watch(nil) })
	a := jstrace.Subscribe(func(n string) bool { return n == "test:watch:probe" }, 0)
	b := jstrace.SubscribeFunc(func(n string) bool { return n == "test:watch:*" || n == "test:watch:probe" }, nil)
	other := jstrace.Subscribe(func(n string) bool { return n == "test:watch:other" }, 0)
	a.Close()
	b.SetMatch(nil)
	b.Close()
	other.Close()
	mu.Lock()
	defer mu.Unlock()
	// Called now (off), on the first subscription, and when the last left;
	// never for the second or for another probe's.
	if want := []bool{false, true, false}; !slices.Equal(got, want) {
		t.Fatalf("Watch calls %v, want %v", got, want)
	}
}

// A Watch function that panics is removed; the subscription that turned
// the probe on goes on, and so does the next.
func TestProbeWatchPanics(t *testing.T) {
	p := jstrace.NewProbe("test:watch:panics")
	calls := 0
	p.Watch(func(on bool) {
		calls++
		if on {
			panic("watcher bug")
		}
	})
	t.Cleanup(func() { p.Watch(nil) })
	s := jstrace.Subscribe(func(n string) bool { return n == "test:watch:panics" }, 0)
	if !p.Enabled() {
		t.Fatal("the subscription did not take")
	}
	s.Close()
	s = jstrace.Subscribe(func(n string) bool { return n == "test:watch:panics" }, 0)
	s.Close()
	if calls != 2 { // now (off), then the panicking on; nothing after
		t.Fatalf("%d calls", calls)
	}
}
