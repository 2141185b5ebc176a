package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/discovery"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// globTimeout is how soon the CLI must give up on a pattern beyond the
// limits: it is refused before anything is compiled, so well within a
// second but for the race detector and a loaded machine.
const globTimeout = 20 * time.Second

// Patterns that make a backtracking glob engine explode, or that are just
// too big, in Remote, in Local only, in Aggregate and in the CLI's
// selectors: each is refused with an error naming the limit, quickly, the
// service keeps serving, and no session is left.
func TestHostileGlobs(t *testing.T) {
	t.Parallel()
	const redTeam = `strings.Repeat("{*,*}", 40) + "[x]"`
	tests := []struct {
		name          string
		remote, local string // bodies of Remote and Local
		want          string // in jstrace's stderr
	}{
		{"the red team's pattern in Remote",
			`traces.On(` + redTeam + `, func(t *script.Trace) {})`, ``,
			`more than the limit of 8 wildcards`},
		{"the red team's pattern in Local only",
			``, `traces.On(` + redTeam + `, func(t *script.Trace) {})`,
			`more than the limit of 8 wildcards`},
		{"the red team's pattern in Aggregate",
			`traces.Aggregate(` + redTeam + `, script.Agg{})`, ``,
			`more than the limit of 8 wildcards`},
		{"nested groups",
			`traces.On(strings.Repeat("{a,", 30) + "b" + strings.Repeat("}", 30), func(t *script.Trace) {})`, ``,
			`groups nested deeper than the limit of 3`},
		{"alternatives without wildcards",
			`traces.On(strings.Repeat("{a,b,c}", 12), func(t *script.Trace) {})`, ``,
			`more than the limit of 32 alternatives`},
		{"many stars",
			`traces.On(strings.Repeat("*a", 60) + "b", func(t *script.Trace) {})`, ``,
			`more than the limit of 8 wildcards`},
		{"many character classes",
			`traces.On(strings.Repeat("[abcdefghijklmnop]", 12), func(t *script.Trace) {})`, ``,
			`more than the limit of 8 character classes`},
		{"a long character class",
			`traces.On("[" + strings.Repeat("ab", 1000) + "]", func(t *script.Trace) {})`, ``,
			`more than the limit of 256 bytes`},
		{"a huge pattern",
			`traces.On(strings.Repeat("request:", 1 << 17), func(t *script.Trace) {})`, ``,
			`more than the limit of 256 bytes`},
		{"a huge pattern in Local",
			``, `traces.On(strings.Repeat("x", 1 << 20) + "*", func(t *script.Trace) {})`,
			`more than the limit of 256 bytes`},
		{"many patterns",
			`for i := 0; i < 5000; i++ { traces.On(fmt.Sprint("p", i, ":*"), func(t *script.Trace) {}) }`, ``,
			`more than the limit of 1024 patterns`},
		{"many patterns with groups",
			`for i := 0; i < 5000; i++ { traces.On(fmt.Sprint("p", i, ":{a,b,c,d}*"), func(t *script.Trace) {}) }`, ``,
			`more than the limit of 1024 plain patterns with wildcards in all`},
		{"patterns too costly together",
			`for i := 0; i < 100; i++ { traces.On(fmt.Sprint("*[a]?[a]?[a]?[b]", i), func(t *script.Trace) {}) }`, ``,
			`more than the limit of 8192 in all`},
		{"patterns too costly together in Local",
			``, `for i := 0; i < 100; i++ { traces.On(fmt.Sprint("*:{error,fail}", i), func(t *script.Trace) {}) }`,
			`more than the limit of 8192 in all`},
		{"aggregations too costly together",
			`for i := 0; i < 16; i++ { traces.Aggregate(fmt.Sprint("*[a][a][a][a][a][a][a][b]", i), script.Agg{}) }`, ``,
			`more than the limit of 8192 in all`},
		{"many patterns in Local",
			``, `for i := 0; i < 5000; i++ { traces.On(fmt.Sprint("p", i, ":*"), func(t *script.Trace) {}) }`,
			`more than the limit of 1024 patterns`},
	}
	e := newEnv(t)
	svc := e.start("api", "web-1")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := e.script("glob.go", `package main

import (
	"fmt"
	"strings"

	"github.com/jstrace-go/jstrace/script"
)

var _ = fmt.Sprint
var _ = strings.Repeat

func Remote(traces *script.Traces) {
	`+tt.remote+`
}

func Local(traces *script.Traces) {
	traces.On("request:end", func(t *script.Trace) {})
	`+tt.local+`
}
`)
			start := time.Now()
			r := e.jstraceStart("-p", strconv.Itoa(svc.pid), "--duration", "30s", src).wait(t, globTimeout)
			if d := time.Since(start); r.code != 4 || !strings.Contains(r.stderr, tt.want) || d > globTimeout {
				t.Fatalf("exit %d after %v, want 4 and %q\nstderr:\n%.3000s", r.code, d, tt.want, r.stderr)
			}
			if len(r.stderr) > 4096 {
				t.Errorf("%d bytes of errors:\n%.3000s", len(r.stderr), r.stderr)
			}
			svc.alive(t)
			e.waitSessions(svc.pid, 0)
		})
	}
	t.Run("selectors", func(t *testing.T) {
		ok := e.script("ok.go", "package main\n\nimport \"github.com/jstrace-go/jstrace/script\"\n\nfunc Local(traces *script.Traces) { traces.On(\"request:end\", func(t *script.Trace) {}) }\n")
		for _, args := range [][]string{
			{"ls", "-t", strings.Repeat("{*,*}", 40) + "[x]"},
			{"ls", "-H", strings.Repeat("*a", 40)},
			{"-t", strings.Repeat("{a,", 20) + strings.Repeat("}", 20), ok},
			{"-H", strings.Repeat("h", 1<<16), ok},
		} {
			start := time.Now()
			r := e.jstraceStart(args...).wait(t, globTimeout)
			if d := time.Since(start); r.code != 2 || !strings.Contains(r.stderr, "too complex") || d > globTimeout || len(r.stderr) > 1024 {
				t.Errorf("jstrace %.60q: exit %d after %v, want 2 and too complex\nstderr:\n%.2000s", args, r.code, d, r.stderr)
			}
		}
	})
	svc.alive(t)
	if strings.Contains(svc.log.String(), "panic:") || svc.cmd.ProcessState != nil {
		t.Fatalf("the service suffered:\n%s", svc.log.String())
	}
}

// TestHostileGlobPeer sends hostile Local patterns as a CLI that skips its
// own checks would: the agent compiles them too, and must refuse them.
func TestHostileGlobPeer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := e.start("api", "web-1")
	entries, err := discovery.List(e.runDir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("discovery: %v, %v", entries, err)
	}
	many, costly := make([]string, 5000), make([]string, 100)
	for i := range many {
		many[i] = fmt.Sprint("p", i, ":*")
	}
	for i := range costly {
		costly[i] = fmt.Sprint("*[a]?[a]?[a]?[b]", i)
	}
	for _, patterns := range [][]string{
		{strings.Repeat("{*,*}", 40) + "[x]"},
		{"request:*", strings.Repeat("{a,", 30) + strings.Repeat("}", 30)},
		{strings.Repeat("x", 1<<20)},
		many,
		costly,
	} {
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), globTimeout)
		conn, err := client.Dial(ctx, entries[0].Addr, client.Options{Secret: entries[0].Secret})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		_, err = conn.Attach(&protocol.Attach{Name: "peer.go", Source: "package main\n", LocalPatterns: patterns}, nil)
		conn.Close()
		if d := time.Since(start); err == nil || !strings.Contains(err.Error(), "local patterns: ") || !strings.Contains(err.Error(), "limit of") || d > globTimeout {
			t.Errorf("%.60q: after %v: %v", patterns[len(patterns)-1], d, err)
		}
		svc.alive(t)
		e.waitSessions(svc.pid, 0)
	}
}
