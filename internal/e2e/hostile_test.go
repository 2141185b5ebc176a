package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// Hostile scripts, each run against a real service: the service must stay
// up and keep serving, its session must end, and the CLI must say why.
func TestHostileScripts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		remote string // body of Remote
		code   int    // jstrace's exit code
		want   string // in jstrace's stderr, after the process prefix
	}{
		{"infinite loop in a handler",
			`traces.On("request:end", func(t *script.Trace) { for { } })`,
			4, `script detached: handler for "request:end" ran longer than 100ms`},
		{"runaway recursion",
			`traces.On("request:end", func(t *script.Trace) { recurse(0) })`,
			4, `script detached: handler for "request:end" ran longer than 100ms`},
		{"infinite loop in Every",
			`traces.Every(10*time.Millisecond, func() { for { } })`,
			4, `script detached: an Every callback ran longer than 100ms`},
		{"panic in every handler",
			`traces.On("request:*", func(t *script.Trace) { panic("boom") })`,
			4, `script detached: 100 panics in script code`},
		{"panic in cleanup",
			`traces.OnCleanup(func() { panic("cleanup boom") })`,
			0, `cleanup: panic in main.Remote.func at `},
		{"huge allocation",
			`traces.On("request:end", func(t *script.Trace) { n := 1 << 40; _ = make([]byte, n) })`,
			4, `script detached: 100 panics in script code`}, // each call panics first
		{"emit flood",
			`pad := strings.Repeat(".", 4096); traces.Every(10*time.Millisecond, func() { for i := 0; i < 200; i++ { traces.Emit("flood", "i", i, "pad", pad) } })`,
			4, `script detached: the script emitted more than 8388608 bytes in a second`},
		{"print flood",
			`line := strings.Repeat("flood ", 20000); traces.Every(10*time.Millisecond, func() { for i := 0; i < 20; i++ { traces.Log(line) } })`, // 2.4 MB a tick: past the limit in one, however slow the machine
			4, `script detached: the script printed more than 1048576 bytes in a second`},
		{"goroutine",
			`go func() { for { } }()`,
			4, ""}, // refused by the CLI before anything is shipped
		{"forbidden import",
			`_ = os.Getenv("HOME")`,
			4, ""},
		{"printing a value that contains itself",
			`traces.On("request:end", func(t *script.Trace) { m := map[string]any{}; m["m"] = m; traces.Log(m) })`,
			4, `script detached: 100 panics in script code`},
		{"a panic value that panics when printed",
			`traces.On("request:end", func(t *script.Trace) { var x error = &E{}; panic(errors.Join(x)) })`,
			4, `script detached: 100 panics in script code`},
		{"an event that multiplies when encoded",
			`var v any = strings.Repeat("x", 16384); for i := 0; i < 2; i++ { l := make([]any, 256); for j := range l { l[j] = v }; v = l }; traces.On("request:end", func(t *script.Trace) { traces.Emit("flood", "v", v) })`,
			4, `script detached: the script emitted more than 8388608 bytes in a second`}, // each stops at 1 MiB, dropped; v made once, so that a slow machine still emits nine a second
		{"a terabyte array",
			`var a [1 << 40]byte; _ = a`,
			4, ""},
		{"writing the process's time zone",
			`loc := time.Now().Location(); *loc = *time.FixedZone("PWNED", 3600)`,
			4, ""},
		{"infinite loop before Remote returns",
			`for { }`,
			4, `script error: the script's entry point ran longer than 1s`},
	}
	// The cases run in lanes side by side, each against a service of its
	// own, one case at a time: each case sees its session end.
	const lanes = 2
	e := newEnv(t)
	for lane := range lanes {
		t.Run(fmt.Sprintf("service %d", lane+1), func(t *testing.T) {
			t.Parallel()
			le := e.sub(t)
			svc := le.start("api", "web-1")
			for i, tt := range tests {
				if i%lanes != lane {
					continue
				}
				t.Run(tt.name, func(t *testing.T) {
					se := le.sub(t)
					src := se.script("hostile.go", `package main

import (
	"errors"
	"strings"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

var _ = time.Second
var _ = strings.Repeat

type E struct{ n int }

func (e *E) Error() string { var x error = &E{e.n + 1}; panic(errors.Join(x)) }

func recurse(n int) int { return recurse(n+1) + 1 }

func Remote(traces *script.Traces) {
	`+tt.remote+`
}

func Local(traces *script.Traces) {
	traces.On("flood", func(t *script.Trace) {})
}
`)
					if tt.name == "forbidden import" {
						src = se.script("hostile.go", strings.Replace(mustRead(t, src), `"strings"`, "\"os\"\n\t\"strings\"", 1))
					}
					r := se.jstrace("-p", strconv.Itoa(svc.pid), "--duration", "3s", src)
					if tt.want == "" && tt.code == 0 { // harmless: dropped and counted
						if r.code != 0 || !strings.Contains(r.stderr, "events dropped") {
							t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
						}
					} else if tt.want == "" { // refused locally: nothing may reach the agent
						if r.code != tt.code || !(strings.Contains(r.stderr, "not allowed") || strings.Contains(r.stderr, "exceeds the scripts' limit")) || strings.Contains(r.stderr, ">>") {
							t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
						}
					} else if tt.name == "an event that multiplies when encoded" && r.code == 0 && strings.Contains(r.stderr, "events dropped (session buffer full)") {
						// A machine too slow to encode nine a second: each
						// event, cut at 1 MiB, dropped and counted.
					} else if tt.name == "an event that multiplies when encoded" && r.code == tt.code && strings.Contains(r.stderr, prefix("web-1", "api", svc)+"script detached: ") && strings.Contains(r.stderr, "of a CPU") {
						// Or, as loaded as a CI machine under -race, the
						// encoding's CPU reaches a CPU limit first.
					} else if r.code != tt.code || !strings.Contains(r.stderr, prefix("web-1", "api", svc)+tt.want) {
						t.Fatalf("exit %d, want %d and %q\nstderr:\n%.3000s", r.code, tt.code, tt.want, r.stderr)
					}
					if tt.name == "huge allocation" && !strings.Contains(r.stderr, "exceeds the scripts' limit of 256 MiB") {
						t.Errorf("the failed allocations were not reported:\n%.2000s", r.stderr)
					}
					svc.alive(t)
					se.waitSessions(svc.pid, 0)
				})
			}
			if strings.Contains(svc.log.String(), "panic:") || svc.cmd.ProcessState != nil {
				t.Fatalf("the service suffered:\n%s", svc.log.String())
			}
		})
	}
}
