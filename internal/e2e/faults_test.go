package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// runtimeStats reads the service's goroutines, open files and heap.
func (s *service) runtimeStats(t *testing.T) (goroutines, fds, heap int) {
	t.Helper()
	fmt.Sscanf(s.debugRuntime(t, ""), "goroutines %d\nfds %d\nheap %d", &goroutines, &fds, &heap)
	return
}

// scanHeap returns the service's scannable heap after a collection: what
// every later collection marks, which a session left behind would grow.
func (s *service) scanHeap(t *testing.T) int {
	t.Helper()
	text := s.debugRuntime(t, "?gc=1")
	for line := range strings.Lines(text) {
		var n int
		if _, err := fmt.Sscanf(line, "scan-heap %d", &n); err == nil {
			return n
		}
	}
	t.Fatalf("no scan-heap in /debug/runtime:\n%s", text)
	return 0
}

// debugRuntime returns the example service's /debug/runtime page, with
// query.
func (s *service) debugRuntime(t *testing.T, query string) string {
	t.Helper()
	resp, err := http.Get(s.http + "/debug/runtime" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// A thousand connections that misbehave in every way a peer can: the
// service keeps serving and leaks nothing.
func TestConnectionFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := e.startEnv("api", "web-1", "JSTRACE_TOKEN=s3cret")
	addr := agentAddr(t, e.jstrace("ls").stdout, svc.pid)
	g0, fd0, _ := svc.runtimeStats(t)
	payloads := [][]byte{
		nil,                                  // connect and close
		[]byte("GET / HTTP/1.1\r\n\r\n"),     // not jstrace
		{'J', 'S', 'T', 'R', 42},             // another version
		{'J', 'S', 'T', 'R', 1, 0, 0, 0, 12}, // garbage where yamux starts
		[]byte(strings.Repeat("\xff", 70000)),
	}
	for i := range 1000 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		if p := payloads[i%len(payloads)]; p != nil {
			c.Write(p)
		}
		c.Close()
		if i%100 == 0 {
			svc.alive(t)
		}
	}
	// A wrong token, from elsewhere, many times over.
	remote := []string{"JSTRACE_RUN_DIR=" + e.dir + "/elsewhere"}
	for range 5 {
		if r := e.jstraceEnv(remote, "--agents", addr, "--token", "nope", e.script("w.go", whoami)); r.code != 5 {
			t.Fatalf("wrong token: exit %d", r.code)
		}
	}
	svc.alive(t)
	deadline := time.Now().Add(20 * time.Second)
	for {
		g, fd, _ := svc.runtimeStats(t)
		if g <= g0+5 && fd <= fd0+5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("leak: goroutines %d → %d, open files %d → %d", g0, g, fd0, fd)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// And the agent still works.
	r := e.jstrace("-t", "api", "--duration", "300ms", e.script("w.go", whoami))
	if r.code != 0 || !strings.Contains(r.stdout, "attached") {
		t.Fatalf("after the faults: exit %d\n%s", r.code, r.stderr)
	}
}

// Many sessions come and go: the service's goroutines and files return to
// where they were.
func TestAttachDetachCyclesLeakNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := e.start("api", "web-1")
	src := e.script("busy.go", `package main

import (
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	n := 0
	traces.On("request:*", func(t *script.Trace) { n++ })
	traces.Every(50*time.Millisecond, func() { traces.Emit("n", "n", n) })
}

func Local(traces *script.Traces) {
	traces.On("n", func(t *script.Trace) {})
	traces.On("request:end", func(t *script.Trace) {})
}
`)
	e.jstrace("-t", "api", "--duration", "200ms", src) // warm up
	g0, fd0, _ := svc.runtimeStats(t)
	h0 := svc.scanHeap(t)
	for range sessionCycles {
		if r := e.jstrace("-t", "api", "--duration", "200ms", src); r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		g, fd, _ := svc.runtimeStats(t)
		// A session attached holds ~100 KB the collector scans, closed
		// ~10 KB (what Close let go of is not kept); for some seconds
		// after it ends, the multiplexer's timers hold ~4 KB more. The
		// service's own requests move the figure by tens of KB.
		h := svc.scanHeap(t)
		if g <= g0+3 && fd <= fd0+3 && h <= h0+maxLeftHeap {
			t.Logf("after %d sessions: goroutines %d → %d, open files %d → %d, scannable heap %d → %d KB", sessionCycles, g0, g, fd0, fd, h0>>10, h>>10)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("leak after %d sessions: goroutines %d → %d, open files %d → %d, scannable heap %d → %d KB", sessionCycles, g0, g, fd0, fd, h0>>10, h>>10)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// sessionCycles is how many sessions TestAttachDetachCyclesLeakNothing
// runs, and maxLeftHeap how much more heap the collector may scan after
// them than before: each session kept, even closed, would exceed it.
const (
	sessionCycles = 20
	maxLeftHeap   = 128 << 10
)

// An agent that goes away is reported, and re-attached when it comes back.
func TestAgentComesBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	first := e.startEnv("api", "web-1", "JSTRACE_ADDR="+addr)
	src := e.script("tick.go", `package main

import (
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	traces.Every(100*time.Millisecond, func() { traces.Dump("tick") })
}
`)
	run := e.jstraceStartEnv([]string{"JSTRACE_RUN_DIR=" + e.dir + "/elsewhere"}, "--agents", addr, src)
	run.waitOutput(t, prefix("web-1", "api", first)+"tick")
	first.kill()
	second := e.startEnv("api", "web-1", "JSTRACE_ADDR="+addr)
	run.waitOutput(t, prefix("web-1", "api", second)+"tick")
	if !strings.Contains(run.stderr.String(), fmt.Sprintf("web-1/api/%d: agent gone", first.pid)) {
		t.Errorf("the loss was not reported:\n%s", run.stderr)
	}
	run.signal(sigint)
	if r := run.wait(t, 30*time.Second); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
}
