package agent_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// aggScript makes n Aggregations of pattern, grouped by "k" with a
// distribution of "v", and prints what each dropped when it ends.
func aggScript(n int, pattern string) string {
	return fmt.Sprintf(`package main

import (
	"fmt"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	var aggs []*script.Aggregation
	for i := 0; i < %d; i++ {
		aggs = append(aggs, traces.Aggregate(%q, script.Agg{By: "k", Of: "v"}))
	}
	traces.OnCleanup(func() {
		for _, a := range aggs {
			fmt.Println("dropped", a.Dropped())
		}
	})
}
`, n, pattern)
}

// busyScript spends about a third of each 10ms in an Every callback.
const busyScript = `package main

import (
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	traces.Every(10*time.Millisecond, func() {
		for start := time.Now(); time.Since(start) < 3*time.Millisecond; {
		}
	})
}
`

func attachErr(t *testing.T, a *agent.Agent, src string) (*client.Conn, *recorder, error) {
	t.Helper()
	c := dial(t, a, "")
	rec := newRecorder()
	_, err := c.Attach(&protocol.Attach{Name: "budget.go", Source: src}, rec)
	if err != nil {
		c.Close()
	}
	return c, rec, err
}

func mustAttach(t *testing.T, a *agent.Agent, src string) (*client.Conn, *recorder) {
	t.Helper()
	c, rec, err := attachErr(t, a, src)
	if err != nil {
		t.Fatal(err)
	}
	return c, rec
}

// fire fires probe from goroutines until the test ends: keys by the
// thousand, each with values 2^0 to 2^59, which spread its distribution.
func fire(t *testing.T, probe *jstrace.Probe, goroutines int) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				probe.Emit("k", fmt.Sprint(g, ":", i/60%1000), "v", float64(uint64(1)<<(i%60)))
			}
		}()
	}
	t.Cleanup(func() { close(stop); wg.Wait() })
}

// stopWait ends a session and closes its connection.
func stopWait(t *testing.T, c *client.Conn) {
	t.Helper()
	c.Stop()
	if _, err := c.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func wantError(t *testing.T, err error, code protocol.ErrorCode, msg string) {
	t.Helper()
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != code || !strings.Contains(pe.Message, msg) {
		t.Fatalf("err = %v, want code %d and %q", err, code, msg)
	}
}

// A session has at most Limits.MaxAggregations; all sessions together at
// most Totals.MaxAggregations, which a session gives back as it ends.
func TestAggregationsAreCounted(t *testing.T) {
	a := start(t, agent.Options{})
	_, _, err := attachErr(t, a, aggScript(17, "budget:count"))
	wantError(t, err, protocol.CodeScript, "the script has 16 aggregations, the most a session may have")

	a = start(t, agent.Options{Limits: agent.Limits{MaxAggregations: 3}, Totals: agent.Totals{MaxAggregations: 4}})
	c1, _ := mustAttach(t, a, aggScript(3, "budget:count"))
	_, _, err = attachErr(t, a, aggScript(2, "budget:count"))
	wantError(t, err, protocol.CodeScript, "the agent's sessions have 4 aggregations, the most they may have together")
	stopWait(t, c1)
	waitSessions(t, a, 0)
	c3, _ := mustAttach(t, a, aggScript(3, "budget:count"))
	stopWait(t, c3)
}

// The time Aggregations take on the goroutines that fire the probes
// counts against the session's CPU budget, though no script code runs.
func TestAggregationTimeCountsAgainstMaxCPU(t *testing.T) {
	a := start(t, agent.Options{Limits: agent.Limits{MaxCPU: 0.1}})
	c, rec := mustAttach(t, a, aggScript(16, "budget:hot"))
	fire(t, jstrace.NewProbe("budget:hot"), 1)
	stats, err := c.Wait(15 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if !strings.Contains(stats.Detached, "in its aggregations, on the service's goroutines); the limit is 10%") {
		t.Fatalf("detached %q\nconsole %q", stats.Detached, rec.consoleText())
	}
	waitSessions(t, a, 0)
}

// Sessions each within their own budget are held to the total: past it,
// a new session is refused, and the sessions using the most are detached
// until the rest are within it (here, on a loaded machine, maybe all).
func TestTotalCPUIsBounded(t *testing.T) {
	a := start(t, agent.Options{Totals: agent.Totals{MaxCPU: 0.15}})
	var conns []*client.Conn
	for range 3 {
		c, _ := mustAttach(t, a, busyScript)
		conns = append(conns, c)
	}
	time.Sleep(1500 * time.Millisecond) // a window past the total
	_, _, err := attachErr(t, a, busyScript)
	wantError(t, err, protocol.CodeBusy, "of a CPU together, past the limit of 15% for all sessions")
	deadline := time.Now().Add(15 * time.Second)
	for a.Sessions() >= 3 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // the others detached at once end too
	for _, c := range conns {
		c.Stop()
	}
	detached := 0
	for _, c := range conns {
		stats, err := c.Wait(10 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if stats.Detached == "" {
			continue // within the total
		}
		if !strings.Contains(stats.Detached, "for all sessions; this one used") {
			t.Fatalf("detached %q", stats.Detached)
		}
		detached++
	}
	for _, c := range conns {
		c.Close()
	}
	if detached == 0 {
		t.Fatal("no session detached")
	}
	waitSessions(t, a, 0)
}

// The memory sessions hold counts against the total: their buffers at
// attach, their Aggregations' groups as they grow.
func TestTotalMemoryIsBounded(t *testing.T) {
	a := start(t, agent.Options{BufferSize: 1 << 19, Totals: agent.Totals{MaxMemory: 5 << 19}})
	c1, _ := mustAttach(t, a, busyScript)
	c2, _ := mustAttach(t, a, busyScript)
	_, _, err := attachErr(t, a, busyScript)
	wantError(t, err, protocol.CodeBusy, "the agent's sessions would hold 3.0 MiB together, past the limit of 2.5 MiB for all sessions")
	stopWait(t, c1)
	stopWait(t, c2)
	waitSessions(t, a, 0)

	a = start(t, agent.Options{BufferSize: 64 << 10, Limits: agent.Limits{MaxCPU: 8}, Totals: agent.Totals{MaxCPU: 8, MaxMemory: 6 << 20}})
	c, rec := mustAttach(t, a, aggScript(4, "budget:mem"))
	fire(t, jstrace.NewProbe("budget:mem"), 2)
	stats, err := c.Wait(15 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if !strings.Contains(stats.Detached, "past the limit of 6.0 MiB for all sessions; this one held") {
		t.Fatalf("detached %q\nconsole %q", stats.Detached, rec.consoleText())
	}
	waitSessions(t, a, 0)
}

// A session's Aggregations hold at most Limits.MaxAggregationMemory
// together: past it they drop, and the script is told once.
func TestAggregationMemoryIsBounded(t *testing.T) {
	a := start(t, agent.Options{Limits: agent.Limits{MaxCPU: 8, MaxAggregationMemory: 1 << 20}, Totals: agent.Totals{MaxCPU: 8}})
	c, rec := mustAttach(t, a, aggScript(2, "budget:pool"))
	fire(t, jstrace.NewProbe("budget:pool"), 1)
	rec.waitFor(t, "the note", func() bool {
		return strings.Contains(rec.consoleText(), "the script's aggregations hold 1.0 MiB, all they may together")
	})
	stopWait(t, c)
	if text := rec.consoleText(); strings.Contains(text, "dropped 0\n") || !strings.Contains(text, "dropped ") {
		t.Fatalf("console %q: both aggregations should have dropped", text)
	}
	waitSessions(t, a, 0)
}
