package agent_test

import (
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// A script whose engine goroutine outlives its session (a native call that
// neither returns nor calls back: here an opted-in function that blocks)
// must not be reported ended: the CLI is told, and the agent keeps counting
// the session until the goroutine returns.
func TestSessionStaysCountedWhileItsScriptRuns(t *testing.T) {
	release := make(chan struct{})
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	pkgs := map[string]map[string]reflect.Value{"example.com/block": {"Wait": reflect.ValueOf(func() { <-release })}}
	a := start(t, agent.Options{Packages: pkgs})
	src := `package main

import (
	"example.com/block" //jstrace:remote

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) { traces.OnCleanup(block.Wait) }
`
	c := dial(t, a, "")
	rec := newRecorder()
	if _, err := c.Attach(&protocol.Attach{Name: "b.go", Source: src}, rec); err != nil {
		t.Fatal(err)
	}
	c.Stop()
	rec.waitFor(t, "the still-running notice", func() bool { return strings.Contains(rec.consoleText(), "still running in the service") })
	c.Close()
	time.Sleep(200 * time.Millisecond)
	if n := a.Sessions(); n != 1 {
		t.Fatalf("%d sessions while the script still runs, want 1", n)
	}
	close(release)
	waitSessions(t, a, 0)
}

// A script still spinning after its session ended keeps counting in the
// sessions' total CPU: while it burns, new sessions are refused; once it
// returns, they attach again.
func TestStuckScriptCountsInTheTotal(t *testing.T) {
	var release atomic.Bool
	defer release.Store(true)
	pkgs := map[string]map[string]reflect.Value{"example.com/spin": {"Spin": reflect.ValueOf(func() {
		for !release.Load() {
		}
	})}}
	a := start(t, agent.Options{Packages: pkgs, Limits: agent.Limits{MaxCPU: 4}, Totals: agent.Totals{MaxCPU: 0.2}})
	src := `package main

import (
	"example.com/spin" //jstrace:remote

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) { traces.OnCleanup(spin.Spin) }
`
	c, rec := mustAttach(t, a, src)
	c.Stop()
	rec.waitFor(t, "the still-running notice", func() bool { return strings.Contains(rec.consoleText(), "still running in the service") })
	c.Close()
	time.Sleep(2200 * time.Millisecond) // two windows: one is past the total
	_, _, err := attachErr(t, a, aggScript(0, "x"))
	wantError(t, err, protocol.CodeBusy, "of a CPU together, past the limit of 20% for all sessions")
	release.Store(true)
	waitSessions(t, a, 0)
	c, _ = mustAttach(t, a, aggScript(0, "x"))
	stopWait(t, c)
}
