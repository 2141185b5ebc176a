package e2e

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A slow Local handler against a burst of events: the agent's buffer fills,
// the probe call sites never wait, and the losses are counted and shown —
// live with --verbose, and at exit.
func TestDropsAreCountedAndShown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := e.start("api", "web-1")
	src := e.script("slow.go", `package main

import "github.com/jstrace-go/jstrace/script"

func Local(traces *script.Traces) {
	traces.On("burst:item", func(t *script.Trace) {
		for i := 0; i < 300; i++ {
		}
	})
}
`)
	run := e.jstraceStart("--verbose", "-t", "api", "--duration", "4s", src)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(run.stderr.String(), "attached to") {
		if time.Now().After(deadline) {
			t.Fatalf("not attached:\n%s", run.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, err := http.Post(svc.http+"/burst?n=300000", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	svc.alive(t)
	r := run.wait(t, 60*time.Second)
	t.Logf("stderr:\n%s", r.stderr)
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	live := regexp.MustCompile(`web-1/api/\d+: \d+ events sent, (\d+) events dropped \(session buffer full\)`)
	if !live.MatchString(r.stderr) {
		t.Errorf("no live drop report with --verbose:\n%s", r.stderr)
	}
	final := regexp.MustCompile(`(?m)^jstrace: web-1/api/\d+: (\d+) events dropped \(session buffer full\)`)
	m := final.FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no drop count at exit:\n%s", r.stderr)
	}
	if n, _ := strconv.Atoi(m[1]); n <= 0 || n > 300000 {
		t.Fatalf("dropped %d of 300000", n)
	}
	if !strings.Contains(svc.log.String(), "dropped="+m[1]) {
		t.Errorf("the agent logged another count than the CLI showed (%s):\n%s", m[1], svc.log.String())
	}
}

// Two CLIs attached to one process at once, each with its own script,
// subscriptions and buffer.
func TestConcurrentSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := e.start("api", "web-1")
	one := e.jstraceStart("-t", "api", e.script("one.go", `package main

import "github.com/jstrace-go/jstrace/script"

func Remote(traces *script.Traces) {
	traces.On("request:start", func(t *script.Trace) { traces.Emit("one", "pid", t.PID) })
}

func Local(traces *script.Traces) {
	n := 0
	traces.On("one", func(t *script.Trace) {
		n++
		if n == 1 {
			traces.Log("one got", t.Int("_pid"))
		}
	})
}
`))
	two := e.jstraceStart("-t", "api", e.script("two.go", `package main

import "github.com/jstrace-go/jstrace/script"

func Remote(traces *script.Traces) {
	n := 0
	traces.On("request:end", func(t *script.Trace) {
		n++
		if n == 1 {
			traces.Dump("two got", t.Name)
		}
	})
}
`))
	one.waitOutput(t, "one got "+strconv.Itoa(svc.pid))
	two.waitOutput(t, prefix("web-1", "api", svc)+"two got request:end")
	e.waitSessions(svc.pid, 2)
	one.signal(sigint)
	r := one.wait(t, 30*time.Second)
	if strings.Contains(r.stdout, "two got") || strings.Contains(two.stdout.String(), "one got") {
		t.Fatal("sessions saw each other's output")
	}
	if !strings.Contains(r.stderr, `"one" has a field "pid", a reserved name: scripts read it as "_pid"`) {
		t.Errorf("no warning about the reserved field:\n%s", r.stderr)
	}
	e.waitSessions(svc.pid, 1)
	two.signal(sigint)
	two.wait(t, 30*time.Second)
	e.waitSessions(svc.pid, 0)
}
