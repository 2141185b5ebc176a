package agent_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

const shipScript = `package main

import "github.com/jstrace-go/jstrace/script"

func Remote(traces *script.Traces) {
	traces.Ship("shipped", traces.Aggregate("shiptest:req", script.Agg{By: "route,status", Of: "v", Where: "status>=500"}))
}
`

// A Remote's groups reach a CLI that reads them as KindGroups values in
// records named as shipped: the last interval's at the session's end.
func TestShipSendsGroups(t *testing.T) {
	a := start(t, agent.Options{})
	c := dial(t, a, "")
	rec := newRecorder()
	if _, err := c.Attach(&protocol.Attach{Name: "ship.go", Source: shipScript, Flags: protocol.AttachGroups}, rec); err != nil {
		t.Fatal(err)
	}
	p := jstrace.NewProbe("shiptest:req")
	for i := range 100 {
		p.Emit("route", "/a", "status", 200+300*(i%2), "v", i)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	count := 0
	for _, tr := range rec.traces {
		g, ok := tr.Get(protocol.GroupsField).(*protocol.Groups)
		if tr.Name != "shipped" || !ok {
			t.Fatalf("trace %v", tr)
		}
		if strings.Join(g.By, ",") != "route,status" || g.Of != "v" {
			t.Fatalf("groups %+v", g)
		}
		for _, gr := range g.Groups {
			if strings.Join(gr.Keys, ",") != "/a,500" {
				t.Fatalf("group %+v", gr)
			}
			count += int(gr.Count)
		}
	}
	if count != 50 {
		t.Fatalf("shipped %d traces, want 50 (%d records)", count, len(rec.traces))
	}
}

// An agent refuses, at load and in words, a script that ships to a CLI
// that does not read shipped groups (one that predates them).
func TestShipToAnOldCLI(t *testing.T) {
	a := start(t, agent.Options{})
	c := dial(t, a, "")
	_, err := c.Attach(&protocol.Attach{Name: "ship.go", Source: shipScript}, newRecorder())
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != protocol.CodeScript || !strings.Contains(pe.Message, "the CLI predates shipped aggregations") {
		t.Fatalf("err = %v", err)
	}
}
