package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Mistakes that would otherwise fail silently: a pattern that matches no
// probe, an aggregation field no trace has. The CLI warns once, naming the
// near misses.

const typoPatternScript = `package main

import "github.com/jstrace-go/jstrace/script"

func Remote(traces *script.Traces) {
	traces.On("request:ned", func(t *script.Trace) { traces.Log(t.Name) })
}
`

// Local's patterns match probes, forwarded raw, and what Remote emits:
// "stats" is emitted at the end, "request:ned" matches nothing.
const typoLocalScript = `package main

import "github.com/jstrace-go/jstrace/script"

func Remote(traces *script.Traces) {
	traces.OnCleanup(func() { traces.Emit("stats", "n", 1) })
}

func Local(traces *script.Traces) {
	traces.On("request:ned", func(t *script.Trace) { traces.Log(t.Name) })
	traces.On("stats", func(t *script.Trace) { traces.Log("stats", t.Int("n")) })
}
`

const typoFieldScript = `package main

import "github.com/jstrace-go/jstrace/script"

func Remote(traces *script.Traces) {
	reqs := traces.Aggregate("request:end", script.Agg{By: "status", Of: "duraton"})
	traces.OnCleanup(func() { traces.Log("groups:", len(reqs.Take())) })
}
`

const rightScript = `package main

import "github.com/jstrace-go/jstrace/script"

func Remote(traces *script.Traces) {
	n := 0
	traces.On("request:end", func(*script.Trace) { n++ })
	reqs := traces.Aggregate("request:*", script.Agg{By: "status", Of: "duration"})
	traces.OnCleanup(func() { traces.Log("ends:", n > 0, "groups:", len(reqs.Take()) > 0) })
}
`

const oneOfTwoScript = `package main

import "github.com/jstrace-go/jstrace/script"

func Remote(traces *script.Traces) {
	traces.On("extra:probe", func(*script.Trace) {})
	traces.On("extra:prboe", func(*script.Trace) {})
}
`

func TestNearMissPattern(t *testing.T) {
	e := newEnv(t)
	e.start("api", "web-1")
	r := e.jstrace("--duration", "1s", e.script("typo.go", typoPatternScript))
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	const want = `jstrace: warning: no probe matches "request:ned" in any attached process (did you mean request:end`
	if strings.Count(r.stderr, want) != 1 || strings.Count(r.stderr, "warning:") != 1 {
		t.Fatalf("want one warning %q\nstderr:\n%s", want, r.stderr)
	}
}

// A pattern that matches in one process of two is right; its neighbour,
// misspelt, is named by the other's probe. The session outlasts the grace
// period, after which the agents check.
func TestNearMissPatternInOneOfTwo(t *testing.T) {
	e := newEnv(t)
	e.start("api", "web-1")
	e.startProbes("extra", "extra:probe")
	r := e.jstrace("--duration", "3s", e.script("two.go", oneOfTwoScript))
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	const want = `jstrace: warning: no probe matches "extra:prboe" in any attached process (did you mean extra:probe?)`
	if strings.Contains(r.stderr, `"extra:probe"`) || strings.Count(r.stderr, want) != 1 {
		t.Fatalf("want only %q\nstderr:\n%s", want, r.stderr)
	}
}

func TestNearMissLocalPattern(t *testing.T) {
	e := newEnv(t)
	e.start("api", "web-1")
	r := e.jstrace("--duration", "1s", e.script("local.go", typoLocalScript))
	if r.code != 0 || !strings.Contains(r.stdout, "stats 1") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	const want = `jstrace: warning: nothing matches "request:ned" in Local: no probe in any attached process, no event Remote emitted (did you mean request:end`
	if strings.Count(r.stderr, want) != 1 || strings.Count(r.stderr, "warning:") != 1 {
		t.Fatalf("want one warning %q\nstderr:\n%s", want, r.stderr)
	}
}

func TestNearMissField(t *testing.T) {
	e := newEnv(t)
	e.start("api", "web-1")
	r := e.jstrace("--duration", "1s", e.script("field.go", typoFieldScript))
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	const want = `jstrace: warning: aggregation on "request:end": field "duraton" never seen; fields seen: duration, `
	if strings.Count(r.stderr, want) != 1 || strings.Count(r.stderr, "warning:") != 1 || !strings.Contains(r.stderr, "status") {
		t.Fatalf("want one warning %q\nstderr:\n%s", want, r.stderr)
	}
}

func TestNearMissNoneForARightScript(t *testing.T) {
	e := newEnv(t)
	e.start("api", "web-1")
	r := e.jstrace("--duration", "2500ms", e.script("right.go", rightScript))
	if r.code != 0 || strings.Contains(r.stderr, "warning") || !strings.Contains(r.stdout, "ends: true groups: true") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

// startProbes runs testdata/probes with the given title and probe names.
func (e *env) startProbes(title string, probes ...string) {
	e.t.Helper()
	cmd := exec.Command(probesBin.get(e.t), probes...)
	cmd.Env = append(os.Environ(), "JSTRACE_RUN_DIR="+e.runDir, "JSTRACE_TITLE="+title)
	s, line := e.launch(cmd, "probes")
	select {
	case l := <-line:
		if !strings.HasPrefix(l, "probes: agent ") {
			e.t.Fatalf("probes said %q:\n%s", l, s.log.String())
		}
	case <-time.After(startTimeout):
		e.t.Fatal("probes did not start")
	}
}
