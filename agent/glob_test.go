package agent_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/protocol"
)

// TestManyPatternsManyProbes attaches a script that calls On five hundred
// times to a process with thousands of probes: the patterns are applied
// to the probes once, when the entry point returns, not once per call
// (which took minutes), and the events of every pattern are delivered.
func TestManyPatternsManyProbes(t *testing.T) {
	for i := range 5000 {
		jstrace.NewProbe(fmt.Sprintf("globtest:probe:%d:x", i))
	}
	a := start(t, agent.Options{})
	c := dial(t, a, "")
	src := `package main

import (
	"fmt"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	for i := 0; i < 500; i++ {
		traces.On(fmt.Sprint("globtest:probe:", i, ":{x,y}*"), func(t *script.Trace) { traces.Emit("seen", "name", t.Name) })
	}
}
`
	start := time.Now()
	if _, err := c.Attach(&protocol.Attach{Name: "many.go", Source: src}, newRecorder()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("attached after %v", d)
	}
	for _, i := range []int{0, 499} {
		if !jstrace.NewProbe(fmt.Sprintf("globtest:probe:%d:x", i)).Enabled() {
			t.Errorf("probe %d is not enabled", i)
		}
	}
	if jstrace.NewProbe("globtest:probe:500:x").Enabled() {
		t.Error("probe 500 is enabled")
	}
	c.Stop()
	c.Wait(10 * time.Second)
}
