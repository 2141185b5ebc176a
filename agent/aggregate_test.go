package agent_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

const aggregateScript = `package main

import (
	"fmt"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	reqs := traces.Aggregate("aggtest:*", script.Agg{By: "k", Of: "v"})
	traces.OnCleanup(func() {
		for _, g := range reqs.Take() {
			fmt.Printf("%s %d %g %g\n", g.Key, g.Count, g.Min, g.Max)
		}
	})
}
`

// A Remote Aggregation is fed by the probes themselves: events are reduced
// as they fire, on the firing goroutines, and never pass through the
// session buffer. So a burst far larger than that buffer, from many
// goroutines at once, is aggregated whole, and the pump sends nothing.
func TestAggregationFedByProbes(t *testing.T) {
	a := start(t, agent.Options{BufferSize: 4 << 10})
	probe := jstrace.NewProbe("aggtest:fire")
	c := dial(t, a, "")
	rec := newRecorder()
	attached, err := c.Attach(&protocol.Attach{Name: "agg.go", Source: aggregateScript}, rec)
	if err != nil {
		t.Fatal(err)
	}
	if len(attached.RemotePatterns) != 1 || attached.RemotePatterns[0] != "aggtest:*" {
		t.Fatalf("remote patterns %v", attached.RemotePatterns)
	}
	if !probe.Enabled() {
		t.Fatal("the aggregated probe is not enabled")
	}
	const goroutines, each = 4, 25000 // some 2 MB of records: 500 buffers' worth
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				probe.Emit("k", g%2, "v", i)
			}
		}()
	}
	wg.Wait()
	jstrace.Trace("aggtest:other", "k", "x", "v", 1.5)
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	stats, err := c.Wait(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("0 %d 0 %d\n1 %d 0 %d\nx 1 1.5 1.5\n", 2*each, each-1, 2*each, each-1)
	if got := rec.consoleText(); got != want {
		t.Errorf("console %q, want %q", got, want)
	}
	if stats.Events != 0 || stats.Dropped != 0 || stats.HandlerDropped != 0 {
		t.Errorf("stats %+v: the pump should have had nothing to move", stats)
	}
	if probe.Enabled() {
		t.Error("probe still enabled after the session ended")
	}
	c.Close()
	waitSessions(t, a, 0)
}

// An Aggregation made after the session's end (by a cleanup function)
// subscribes to nothing: it cannot leave probes enabled.
func TestAggregationAfterEndSubscribesNothing(t *testing.T) {
	a := start(t, agent.Options{})
	probe := jstrace.NewProbe("aggtest:late")
	c := dial(t, a, "")
	rec := newRecorder()
	src := strings.Replace(aggregateScript, "traces.OnCleanup(func() {", `traces.OnCleanup(func() {
		traces.Aggregate("aggtest:late", script.Agg{})`, 1)
	if _, err := c.Attach(&protocol.Attach{Name: "agg.go", Source: src}, rec); err != nil {
		t.Fatal(err)
	}
	c.Stop()
	if _, err := c.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if text := rec.consoleText(); !strings.Contains(text, "the session is ending") {
		t.Errorf("console %q", text)
	}
	if probe.Enabled() {
		t.Error("probe enabled after the session ended")
	}
	c.Close()
	waitSessions(t, a, 0)
}
