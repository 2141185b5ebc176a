package engine

import (
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

// TestSubscribedOncePerCall: the patterns a call of script code gives On
// reach the Output once, as the call returns: a script that subscribes in
// a loop makes the agent match its probes once, not once a pattern.
func TestSubscribedOncePerCall(t *testing.T) {
	const src = `package main

import (
	"fmt"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	for i := 0; i < 300; i++ {
		traces.On(fmt.Sprint("loop:", i, ":{a,b}"), func(t *script.Trace) {})
	}
	traces.On("more:go", func(t *script.Trace) {
		for i := 0; i < 3; i++ {
			traces.On(fmt.Sprint("later:", i), func(t *script.Trace) {})
		}
	})
}
`
	out := &fakeOutput{}
	e, err := Start("s.go", []byte(src), Remote, out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop(within(t, 5*time.Second))
	calls := func() (int, int) {
		out.mu.Lock()
		defer out.mu.Unlock()
		return out.subCalls, len(out.subs)
	}
	if n, k := calls(); n != 1 || k != 301 {
		t.Errorf("after Remote: Subscribed %d times, last with %d patterns; want once, 301", n, k)
	}
	if !e.Wants("loop:299:b") || e.Wants("later:0") {
		t.Error("Wants does not have Remote's patterns")
	}
	if err := e.Dispatch(Batch{Traces: []*script.Trace{{Name: "more:go"}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if n, k := calls(); n != 2 || k != 304 {
		t.Errorf("after a handler's On: Subscribed %d times, last with %d patterns; want twice, 304", n, k)
	}
	if !e.Wants("later:2") {
		t.Error("Wants does not have the handler's patterns")
	}
}
