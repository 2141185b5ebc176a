package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// whoami is a Remote script that says which processes run it.
const whoami = `package main

import "github.com/jstrace-go/jstrace/script"

func Remote(traces *script.Traces) {
	traces.Dump("attached")
}
`

func TestCleanupOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.start("api", "web-1")
	b := e.start("api", "web-2")
	r := e.jstrace("--duration", "1200ms", "-t", "api", "examples/scripts/cleanup.go")
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	last := lines[len(lines)-1]
	if !strings.HasSuffix(last, "requests in 2 processes") {
		t.Fatalf("last line %q, want Local's cleanup after both remotes\n%s", last, r.stdout)
	}
	total := 0
	for _, s := range []*service{a, b} {
		p := prefix(s.pid2host(a), "api", s)
		i := strings.LastIndex(r.stdout, p+"requests in total: ")
		if i < 0 {
			t.Fatalf("no remote cleanup output from %s\n%s", p, r.stdout)
		}
		n, _ := strconv.Atoi(strings.Fields(r.stdout[i+len(p):])[3])
		total += n
	}
	if want := fmt.Sprintf("%d requests in 2 processes", total); last != want || total == 0 {
		t.Fatalf("last line %q, want %q", last, want)
	}
}

// pid2host names the test hosts of TestCleanupOrder.
func (s *service) pid2host(first *service) string {
	if s == first {
		return "web-1"
	}
	return "web-2"
}

func TestProcessJoiningAndLeaving(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.start("api", "web-1")
	src := e.script("durations.go", strings.Replace(whoami, `traces.Dump("attached")`, `traces.Dump("attached"); traces.Every(100*time.Millisecond, func() { traces.Dump("tick") })`, 1))
	src = e.script("durations.go", strings.Replace(mustRead(t, src), `import "github.com/jstrace-go/jstrace/script"`, "import (\n\t\"time\"\n\t\"github.com/jstrace-go/jstrace/script\"\n)", 1))
	run := e.jstraceStart("-t", "api", src)
	run.waitOutput(t, prefix("web-1", "api", first)+"tick")
	second := e.start("api", "web-2")
	run.waitOutput(t, prefix("web-2", "api", second)+"tick") // joined within the rescan period
	second.kill()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(run.stderr.String(), fmt.Sprintf("web-2/api/%d: agent gone", second.pid)) {
		if time.Now().After(deadline) {
			t.Fatalf("the loss of an agent was not reported:\n%s", run.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The session goes on with the first: it ticks again.
	ticks := func() int { return strings.Count(run.stdout.String(), prefix("web-1", "api", first)+"tick") }
	before := ticks()
	for deadline := time.Now().Add(20 * time.Second); ticks() <= before; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the session stopped when one agent went away")
		}
	}
	run.signal(syscall.SIGINT)
	if r := run.wait(t, 30*time.Second); r.code != 0 {
		t.Fatalf("exit %d after Ctrl-C\nstderr:\n%s", r.code, r.stderr)
	}
}

func TestPidTargetExitingEndsSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := e.start("api", "web-1")
	run := e.jstraceStart("-p", strconv.Itoa(svc.pid), e.script("w.go", whoami))
	run.waitOutput(t, "attached")
	svc.kill()
	r := run.wait(t, 30*time.Second)
	if r.code != 6 || !strings.Contains(r.stderr, "agent gone") {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
}

func TestDetachRestoresService(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := e.start("api", "web-1")
	src := e.script("busy.go", `package main

import "github.com/jstrace-go/jstrace/script"

func Remote(traces *script.Traces) {
	traces.Dump("attached")
	traces.On("request:*", func(t *script.Trace) { traces.Emit("e", "id", t.Int("id")) })
}

func Local(traces *script.Traces) {
	traces.On("e", func(t *script.Trace) {})
}
`)
	tests := []struct {
		name string
		end  func(r *running)
	}{
		{"SIGKILL", func(r *running) { r.signal(syscall.SIGKILL) }},
		{"SIGINT", func(r *running) { r.signal(syscall.SIGINT) }},
		{"SIGSTOP then SIGKILL", func(r *running) {
			r.signal(syscall.SIGSTOP)
			time.Sleep(time.Second) // the agent's buffers fill; probes drop, never block
			svc.alive(t)
			r.signal(syscall.SIGKILL)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := e.jstraceStart("-p", strconv.Itoa(svc.pid), src)
			run.waitOutput(t, "attached")
			e.waitSessions(svc.pid, 1)
			tt.end(run)
			run.wait(t, 30*time.Second)
			e.waitSessions(svc.pid, 0)
			svc.alive(t)
		})
	}
}

func agentAddr(t *testing.T, ls string, pid int) string {
	for _, line := range strings.Split(ls, "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && f[0] == strconv.Itoa(pid) {
			return f[3]
		}
	}
	t.Fatalf("pid %d not in ls output:\n%s", pid, ls)
	return ""
}

// A native Aggregation in Remote, read from an Every callback, emitted to
// Local: every request the service served in the window is in a group.
func TestAggregationExample(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := e.start("api", "web-1")
	r := e.jstrace("-t", "api", "--duration", "2500ms", "examples/scripts/latency-by-status.go")
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	p := fmt.Sprintf("web-1/api/%d  ", svc.pid)
	statuses := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		f := strings.Fields(strings.TrimPrefix(line, p))
		if !strings.HasPrefix(line, p) || len(f) != 9 || f[2] != "req/s" || f[3] != "p50" || f[5] != "p99" || f[7] != "max" {
			t.Fatalf("unexpected line %q\n%s", line, r.stdout)
		}
		p50, err1 := time.ParseDuration(f[4])
		p99, err2 := time.ParseDuration(f[6])
		max, err3 := time.ParseDuration(f[8])
		if err1 != nil || err2 != nil || err3 != nil || p50 > p99 || p99 > max || max <= 0 {
			t.Fatalf("percentiles out of order in %q", line)
		}
		statuses[f[0]] = true
	}
	// The service's own load: successes, not found, failures, uploads.
	for _, s := range []string{"200", "500"} {
		if !statuses[s] {
			t.Errorf("no group for status %s\n%s", s, r.stdout)
		}
	}
}
