//go:build linux

package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/cpuclock"
	"github.com/jstrace-go/jstrace/script"
)

// Without a thread CPU clock (a sandbox that refuses clock_gettime on a
// thread clock, a system without one), stretches shorter than a tick and
// further apart than one still count towards MaxCPU: the watchdog, which
// sleeps on after each without ticking, measures their wall time rather
// than sampling at ticks it no longer takes.
func TestCPUShareOfSpacedStretchesWithoutClock(t *testing.T) {
	cpuclock.SetOff(true)
	defer func() { cpuclock.SetOff(false) }()
	out := &fakeOutput{}
	src := limitsHeader + "func Remote(traces *script.Traces) {\n" +
		`traces.On("x", func(t *script.Trace) { for s := time.Now(); time.Since(s) < 5*time.Millisecond; {} })` + "\n}\n"
	l := limits
	l.MaxCPU = 0.05 // the script takes some 5 ms in 40
	e, err := Start("s.go", []byte(src), Remote, out, Options{Limits: l})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(40 * time.Millisecond): // more than a tick (25 ms)
			}
			e.Dispatch(Batch{Traces: []*script.Trace{{Name: "x"}}})
		}
	}()
	defer func() { close(stop); <-done }()
	started := time.Now()
	var reason string
	for time.Since(started) < 15*time.Second && reason == "" {
		out.mu.Lock()
		if len(out.detached) > 0 {
			reason = out.detached[0]
		}
		out.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	if e.pins.clockOK.Load() {
		t.Fatal("the thread clock was read")
	}
	if !strings.Contains(reason, "of a CPU for 3s; the limit is 5%") {
		t.Fatalf("after %v, detached because %q", time.Since(started), reason)
	}
	if e.Stop(within(t, 5*time.Second)) != nil {
		t.Fatal("Stop did not finish after the script was detached")
	}
}

// Without a clock, a stretch that goes a tick or more without entering
// the script (traces no handler wants) is not idle: a call that then
// loops is still stopped at HandlerTimeout.
func TestLoopAfterQuietStretchWithoutClock(t *testing.T) {
	cpuclock.SetOff(true)
	defer cpuclock.SetOff(false)
	out := &fakeOutput{}
	src := limitsHeader + "func Remote(traces *script.Traces) {\n" +
		`traces.On("x", func(t *script.Trace) {})
	traces.On("loop", func(t *script.Trace) { for {} })` + "\n}\n"
	e, err := Start("s.go", []byte(src), Remote, out, Options{Limits: limits})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the watchdog goes to sleep
	traces := []*script.Trace{{Name: "x"}}
	for range 2_000_000 {
		traces = append(traces, &script.Trace{Name: "nobody"})
	}
	traces = append(traces, &script.Trace{Name: "loop"})
	start := time.Now()
	e.Dispatch(Batch{Traces: traces})
	reason := out.detachedReason(t)
	t.Logf("detached after %v: %s", time.Since(start), reason)
	if !strings.Contains(reason, "ran longer than") {
		t.Fatalf("detached because %q", reason)
	}
	if e.Stop(within(t, 5*time.Second)) != nil {
		t.Fatal("Stop did not finish")
	}
}
