package e2e

import (
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A service stopping on SIGTERM shuts its agent down gracefully (see
// examples/service): the attached CLI gets the remote cleanup's output and
// the session's end, not a lost connection, and the service exits within
// its deadline.
func TestServiceShutdownEndsSessions(t *testing.T) {
	e := newEnv(t)
	svc := e.start("api", "web-1")
	src := e.script("bye.go", `package main

import "github.com/jstrace-go/jstrace/script"

func Remote(traces *script.Traces) {
	traces.Dump("attached")
	traces.OnCleanup(func() { traces.Dump("remote cleanup") })
}
`)
	run := e.jstraceStart("-p", strconv.Itoa(svc.pid), src)
	run.waitOutput(t, "attached")
	// A connection that sends no request: net/http's Shutdown waits up to
	// 5s for it, the whole deadline, which the agent must not depend on.
	held, err := net.Dial("tcp", strings.TrimPrefix(svc.http, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	begin := time.Now()
	svc.cmd.Process.Signal(syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- svc.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("service: %v\nlog:\n%s", err, svc.log.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("the service did not exit 20s after SIGTERM\nlog:\n%s", svc.log.String())
	}
	took := time.Since(begin)
	r := run.wait(t, 30*time.Second)
	// "session ended": the agent's Done, where a cut connection gives its error.
	if !strings.Contains(r.stdout, prefix("web-1", "api", svc)+"remote cleanup") || !strings.Contains(r.stderr, "agent gone (session ended)") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s\nservice log:\n%s", r.code, r.stdout, r.stderr, svc.log.String())
	}
	if took > 8*time.Second { // the held connection takes the whole 5s; slack for -race on a busy machine
		t.Errorf("the service took %v to exit, past its 5s deadline", took)
	}
	t.Logf("service exited %v after SIGTERM; jstrace exit %d", took.Round(time.Millisecond), r.code)
}
