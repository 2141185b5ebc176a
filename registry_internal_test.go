package jstrace

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRoutesUnderConcurrency registers probes, subscribes, changes matches
// and closes subscriptions all at once, then checks that every probe feeds
// exactly the subscriptions whose final match accepts it.
func TestRoutesUnderConcurrency(t *testing.T) {
	matches := []func(string) bool{
		func(n string) bool { return strings.HasPrefix(n, "race:1") },
		func(n string) bool { return strings.HasSuffix(n, "7") },
		func(n string) bool { return strings.HasPrefix(n, "race:") },
		func(string) bool { return false },
	}
	const subs, rounds, names = 4, 200, 300
	kept := make([]*Subscription, subs)
	final := make([]func(string) bool, subs)
	for i := range kept {
		kept[i] = SubscribeFunc(matches[i], func(Event) {})
		defer kept[i].Close()
	}
	var wg sync.WaitGroup
	for g := range subs {
		wg.Go(func() { // each kept subscription changes its match, and churns a short-lived one
			for i := range rounds {
				m := matches[(g+i)%len(matches)]
				kept[g].SetMatch(m)
				final[g] = m
				tmp := SubscribeFunc(matches[2], func(Event) {})
				tmp.SetMatch(matches[i%len(matches)])
				tmp.Close()
			}
		})
		wg.Go(func() { // registering goroutines, both ways
			for i := g; i < names; i += subs {
				name := fmt.Sprintf("race:%d", i)
				if i%2 == 0 {
					NewProbe(name)
				} else {
					Trace(name)
				}
			}
		})
	}
	wg.Wait()
	for i := range names {
		name := fmt.Sprintf("race:%d", i)
		p := probes.lookup(name)
		var got []*Subscription
		if s := p.subs.Load(); s != nil {
			got = *s
		}
		for g, s := range kept {
			if want := final[g](name); want != slices.Contains(got, s) {
				t.Errorf("%s: feeds subscription %d: %v, want %v", name, g, !want, want)
			}
		}
		if len(got) > subs {
			t.Errorf("%s feeds %d subscriptions, closed ones among them", name, len(got))
		}
	}
}

// TestMatchOutsideLock checks that a match function that does not return
// holds no other registration, subscription or listing.
func TestMatchOutsideLock(t *testing.T) {
	NewProbe("lock:slow")
	entered, release := make(chan struct{}), make(chan struct{})
	slow := SubscribeFunc(nil, func(Event) {})
	defer slow.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		slow.SetMatch(func(n string) bool {
			if n == "lock:slow" {
				close(entered)
				<-release
			}
			return false
		})
	}()
	<-entered
	other := make(chan struct{})
	go func() {
		defer close(other)
		Probes()
		s := SubscribeFunc(func(n string) bool { return n == "lock:other" }, func(Event) {})
		if p := NewProbe("lock:other"); !p.Enabled() {
			t.Error("lock:other is not routed")
		}
		s.Close()
	}()
	select {
	case <-other:
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("the registry is locked while a match function runs")
	}
	close(release)
	<-done
}
