package agent_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// warnRecorder is a recorder that also keeps the Warnings.
type warnRecorder struct {
	*recorder
	wmu      sync.Mutex
	warnings []protocol.Warning
}

func (r *warnRecorder) Warning(_ *client.Conn, w protocol.Warning) {
	r.wmu.Lock()
	r.warnings = append(r.warnings, w)
	r.wmu.Unlock()
}

const nearMissScript = `package main

import "github.com/jstrace-go/jstrace/script"

func Remote(traces *script.Traces) {
	traces.On("nmtest:ned", func(*script.Trace) {})
	traces.On("nmtest:*", func(*script.Trace) {})
	traces.Aggregate("nmtest:end", script.Agg{By: "status", Of: "DURATION"})
	traces.Aggregate("nmtest:end", script.Agg{By: "status", Of: "duration"})
}
`

const rightScript = `package main

import "github.com/jstrace-go/jstrace/script"

func Remote(traces *script.Traces) {
	traces.On("nmtest:end", func(*script.Trace) {})
	traces.Aggregate("nmtest:*", script.Agg{By: "status", Of: "duration"})
}
`

// session attaches src with flags, fires the probe nmtest:end, waits
// (past the grace period if wait), stops, and returns the Warnings.
func warningsOf(t *testing.T, src string, flags uint64, wait time.Duration) []protocol.Warning {
	t.Helper()
	a := start(t, agent.Options{})
	probe := jstrace.NewProbe("nmtest:end")
	c := dial(t, a, "")
	rec := &warnRecorder{recorder: newRecorder()}
	if _, err := c.Attach(&protocol.Attach{Name: "nm.go", Source: src, Flags: flags}, rec); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		probe.Emit("status", 200, "duration", time.Duration(i)*time.Millisecond)
	}
	time.Sleep(wait)
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	rec.wmu.Lock()
	defer rec.wmu.Unlock()
	return rec.warnings
}

func TestWarningsNearMiss(t *testing.T) {
	for _, wait := range []time.Duration{0, 2500 * time.Millisecond} { // at the end; after the grace period
		got := warningsOf(t, nearMissScript, protocol.AttachWarnings, wait)
		if len(got) != 2 {
			t.Fatalf("wait %v: warnings %+v", wait, got)
		}
		p, f := got[0], got[1]
		if p.Kind != protocol.WarnNoProbe || p.Pattern != "nmtest:ned" || len(p.Near) == 0 || p.Near[0] != "nmtest:end" {
			t.Errorf("wait %v: pattern warning %+v", wait, p)
		}
		if f.Kind != protocol.WarnNoField || f.Pattern != "nmtest:end" || f.Field != "DURATION" || !slices.Equal(f.Near, []string{"status", "duration"}) {
			t.Errorf("wait %v: field warning %+v", wait, f)
		}
	}
}

func TestWarningsNone(t *testing.T) {
	if got := warningsOf(t, rightScript, protocol.AttachWarnings, 0); len(got) != 0 {
		t.Errorf("a right script: warnings %+v", got)
	}
	// A CLI that did not ask gets none: it would not know the frame.
	if got := warningsOf(t, nearMissScript, 0, 0); len(got) != 0 {
		t.Errorf("not asked: warnings %+v", got)
	}
}
