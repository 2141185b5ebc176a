package agent_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/internal/discovery"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// shutdownAsync runs Shutdown with a context of the given timeout and
// reports its error and how long it took.
func shutdownAsync(a *agent.Agent, timeout time.Duration) <-chan shutdownResult {
	ch := make(chan shutdownResult, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		begin := time.Now()
		err := a.Shutdown(ctx)
		ch <- shutdownResult{err, time.Since(begin)}
	}()
	return ch
}

type shutdownResult struct {
	err  error
	took time.Duration
}

// Shutdown ends a session as the CLI's Stop would: the CLI receives the
// cleanup's output and the session's end, and Shutdown returns once the
// session and every goroutine of the agent have.
func TestShutdownEndsSessionsNormally(t *testing.T) {
	runDir := filepath.Join(t.TempDir(), "run")
	a := start(t, agent.Options{RunDir: runDir})
	probe := jstrace.NewProbe("agenttest:fire")
	c := dial(t, a, "")
	rec := newRecorder()
	if _, err := c.Attach(&protocol.Attach{Name: "r.go", Source: remoteScript}, rec); err != nil {
		t.Fatal(err)
	}
	probe.Emit("v", 1)
	rec.waitFor(t, "the handler's emit", func() bool { return len(rec.traces) >= 1 })

	res := shutdownAsync(a, 20*time.Second)
	stats, err := c.Wait(10 * time.Second)
	if err != nil {
		t.Fatalf("the CLI did not see the session end: %v", err)
	}
	if text := rec.consoleText(); !strings.Contains(text, "cleanup after 1\n") {
		t.Errorf("console %q: the cleanup did not run", text)
	}
	if stats.Events != 2 {
		t.Errorf("stats %+v, want the handler's and the cleanup's emits", stats)
	}
	c.Close()
	r := <-res
	if r.err != nil {
		t.Fatalf("Shutdown: %v", r.err)
	}
	if n := a.Sessions(); n != 0 {
		t.Errorf("%d sessions after Shutdown", n)
	}
	if entries, _ := discovery.List(runDir); len(entries) != 0 {
		t.Errorf("discovery entry left after Shutdown: %+v", entries)
	}
	if probe.Enabled() {
		t.Error("probe still enabled after Shutdown")
	}
	// Again, then Close: nothing left to do.
	if err := a.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("Close after Shutdown: %v", err)
	}
	goleak.VerifyNone(t)
}

// No session starts once Shutdown has begun.
func TestShutdownRefusesNewSessions(t *testing.T) {
	a := start(t, agent.Options{})
	c := dial(t, a, "") // authenticated, no session yet
	if err := a.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	if _, err := c.Attach(&protocol.Attach{Name: "r.go", Source: remoteScript}, rec); err == nil {
		t.Fatal("a session attached after Shutdown")
	}
}

// A Remote handler spinning in script code: Shutdown returns when its
// context expires, with its error, and the script is halted.
func TestShutdownHaltsASpinningHandler(t *testing.T) {
	a := start(t, agent.Options{Limits: agent.Limits{HandlerTimeout: time.Minute, MaxCPU: 1}})
	src := `package main

import "github.com/jstrace-go/jstrace/script"

func Remote(traces *script.Traces) {
	traces.On("agenttest:spin", func(t *script.Trace) {
		for {
		}
	})
}
`
	c, _ := mustAttach(t, a, src)
	jstrace.Trace("agenttest:spin")
	time.Sleep(100 * time.Millisecond) // the handler spins
	r := <-shutdownAsync(a, 300*time.Millisecond)
	if !errors.Is(r.err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want the context's error", r.err)
	}
	if r.took > 2*time.Second {
		t.Fatalf("Shutdown with a 300ms context took %v", r.took)
	}
	if _, err := c.Wait(10 * time.Second); err == nil {
		t.Error("the CLI saw a clean end, want a lost connection")
	}
	waitSessions(t, a, 0)
}

// An Every callback blocked in native code cannot be halted: Shutdown
// still returns when its context expires; the script stays counted until
// the call returns; Close after it is bounded and safe.
func TestShutdownAbandonsABlockedCallback(t *testing.T) {
	release, entered := make(chan struct{}), make(chan struct{})
	var once, closeOnce sync.Once
	unblock := func() { closeOnce.Do(func() { close(release) }) }
	defer unblock()
	pkgs := map[string]map[string]reflect.Value{"example.com/block": {"Wait": reflect.ValueOf(func() {
		once.Do(func() { close(entered) })
		<-release
	})}}
	a := start(t, agent.Options{Packages: pkgs, Limits: agent.Limits{HandlerTimeout: time.Minute}})
	src := `package main

import (
	"time"

	"example.com/block" //jstrace:remote

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) { traces.Every(10*time.Millisecond, block.Wait) }
`
	mustAttach(t, a, src)
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the Every callback did not run")
	}
	r := <-shutdownAsync(a, 300*time.Millisecond)
	if !errors.Is(r.err, context.DeadlineExceeded) || r.took > 2*time.Second {
		t.Fatalf("Shutdown = %v after %v, want the context's error after 300ms", r.err, r.took)
	}
	r = <-shutdownAsync(a, 50*time.Millisecond)
	if !errors.Is(r.err, context.DeadlineExceeded) || r.took > time.Second {
		t.Fatalf("second Shutdown = %v after %v", r.err, r.took)
	}
	begin := time.Now()
	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Fatalf("Close with a blocked script took %v", d)
	}
	if n := a.Sessions(); n != 1 {
		t.Errorf("%d sessions while the script is blocked, want 1", n)
	}
	unblock()
	waitSessions(t, a, 0)
}
