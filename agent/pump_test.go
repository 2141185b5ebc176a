package agent_test

import (
	"slices"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// The handler emits how long each trace took from its probe to it. Its
// loop keeps it from running where the probe fires (see
// TestBoundedHandlersInline): its events take the pump.
const latencyScript = `package main

import (
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	traces.On("pumptest:*", func(t *script.Trace) {
		for i := 0; i < 1; i++ {
			traces.Emit("lat", "d", time.Since(t.Time))
		}
	})
}
`

// boundedLatencyScript is latencyScript without the loop.
const boundedLatencyScript = `package main

import (
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	traces.On("pumptest:*", func(t *script.Trace) {
		traces.Emit("lat", "d", time.Since(t.Time))
	})
}
`

// gather is the pump's (agent/pump.go): how long at most events wait for
// a pass.
const gather = 10 * time.Millisecond

// latencies fires probe events at the given spacing and returns the
// handler's latencies, sorted.
func latencies(t *testing.T, src, name string, n int, spacing time.Duration) []time.Duration {
	t.Helper()
	a := start(t, agent.Options{})
	c := dial(t, a, "")
	rec := newRecorder()
	if _, err := c.Attach(&protocol.Attach{Name: "lat.go", Source: src}, rec); err != nil {
		t.Fatal(err)
	}
	p := jstrace.NewProbe(name)
	for i := range n {
		time.Sleep(spacing)
		p.Emit("i", i)
	}
	rec.waitFor(t, "the handler's latencies", func() bool { return len(rec.traces) >= n })
	c.Stop()
	if _, err := c.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	var lat []time.Duration
	for _, tr := range rec.traces {
		lat = append(lat, tr.Dur("d"))
	}
	slices.Sort(lat)
	return lat
}

// An event after a quiet spell reaches the handler at once: the pump reads
// it while the goroutine that fired the probe runs, rather than waiting
// for a timer that would wake the process again (one event at a time, the
// pump used to wait gather for each).
func TestLoneEventsHandledAtOnce(t *testing.T) {
	lat := latencies(t, latencyScript, "pumptest:lone", 7, 3*gather)
	if m := lat[len(lat)/2]; m >= gather {
		t.Errorf("lone events waited %v (median) for the handler; latencies %v", m, lat)
	}
}

// Events that come faster than gather are read together: most wait for
// the next pass (read one at a time, the median wait would be the hop to
// the handler, well under a millisecond), none waits without bound.
func TestStreamGathers(t *testing.T) {
	lat := latencies(t, latencyScript, "pumptest:stream", 200, gather/10)
	if median, worst := lat[len(lat)/2], lat[len(lat)-1]; median < gather/10 || worst > 50*gather {
		t.Errorf("an event every %v: median wait %v, longest %v; want most events to gather (%v or more), none to wait past %v; latencies %v",
			gather/10, median, worst, gather/10, 50*gather, lat)
	}
}

// A handler that ends by construction runs where its probe fires, when
// nothing is queued before it: a stream of events reaches it in
// microseconds, where the pump would have gathered them for a pass.
func TestBoundedHandlersInline(t *testing.T) {
	lat := latencies(t, boundedLatencyScript, "pumptest:inline", 200, gather/10)
	if median := lat[len(lat)/2]; median >= gather/10 {
		t.Errorf("an event every %v: median wait %v, want it handled at once; latencies %v", gather/10, median, lat)
	}
}
