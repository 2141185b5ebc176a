package agent_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/match"
	"github.com/jstrace-go/jstrace/internal/protocol"
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

// costlyScript fills Remote's patterns and Aggregations with costly
// patterns until the agent refuses one, the way a hostile script would.
const costlyScript = `package main

import (
	"fmt"

	"github.com/jstrace-go/jstrace/script"
)

func on(traces *script.Traces, p string) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	traces.On(p, func(t *script.Trace) {})
	return true
}

func agg(traces *script.Traces, p string) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	traces.Aggregate(p, script.Agg{})
	return true
}

func Remote(traces *script.Traces) {
	n := 0
	for n < 1024 && on(traces, fmt.Sprint("*[a]???????[b", n, "]")) {
		n++
	}
	m := 0
	for m < 16 && agg(traces, fmt.Sprint("*[a]???????[d", m, "]")) {
		m++
	}
	traces.Log("admitted ", n, " ", m)
}
`

// TestRouteBudget attaches as many sessions as the agent takes, each with
// as many costly patterns as it admits in Local, in Remote and in
// Aggregations, then registers new probe names of the longest length
// matched: each is matched against every set on the registering goroutine
// (a request of the service), which must stay a fraction of a
// millisecond. Before sets had a budget, 1,024 patterns a set made it
// about a second.
func TestRouteBudget(t *testing.T) {
	var local []string
	for i := range 1024 {
		p := fmt.Sprint("*[a]???????[c", i, "]")
		if _, err := match.Compile(append(local, p)...); err != nil {
			break
		}
		local = append(local, p)
	}
	a := start(t, agent.Options{})
	var conns []*client.Conn
	for range 8 {
		c := dial(t, a, "")
		r := newRecorder()
		if _, err := c.Attach(&protocol.Attach{Name: "costly.go", Source: costlyScript, LocalPatterns: local}, r); err != nil {
			t.Fatal(err)
		}
		r.waitFor(t, "the script's log", func() bool { return strings.Contains(r.consoleText(), "admitted") })
		if len(conns) == 0 {
			t.Logf("%d local patterns; Remote's patterns and Aggregations: %s", len(local), r.consoleText())
		}
		conns = append(conns, c)
	}
	const n = 20
	start := time.Now()
	for i := range n {
		jstrace.NewProbe(fmt.Sprintf("%05d", i) + strings.Repeat("a", match.MaxNameLen-5))
	}
	d := time.Since(start) / n
	t.Logf("a new probe name routed in %v", d)
	if d > 50*time.Millisecond {
		t.Errorf("a new probe name routed in %v", d)
	}
	for _, c := range conns {
		c.Stop()
		c.Wait(10 * time.Second)
	}
}

// TestManyExactNames attaches a script with a thousand exact names: they
// cost nothing to match, and are all admitted.
func TestManyExactNames(t *testing.T) {
	a := start(t, agent.Options{})
	c := dial(t, a, "")
	src := `package main

import (
	"fmt"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	for i := 0; i < 1000; i++ {
		traces.On(fmt.Sprint("globtest:exact:", i, ":{get,set,del}"), func(t *script.Trace) {})
	}
}
`
	if _, err := c.Attach(&protocol.Attach{Name: "exact.go", Source: src}, newRecorder()); err != nil {
		t.Fatal(err)
	}
	if !jstrace.NewProbe("globtest:exact:999:del").Enabled() || jstrace.NewProbe("globtest:exact:1000:del").Enabled() {
		t.Error("exact names not applied")
	}
	c.Stop()
	c.Wait(10 * time.Second)
}
