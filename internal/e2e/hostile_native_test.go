package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Hostile scripts that turn native code against the service (issue 10,
// classes 2c, 2d and 3): native loops driven by a script's methods after
// the watchdog killed it, natives that recurse over or allocate by script
// values. The service must stay up and serving, give its CPU back after each
// session (a killed script's native loop must not spin on), and the session
// and the CLI must end on time.
func TestHostileNatives(t *testing.T) {
	t.Parallel()
	const handler = `script detached: handler for "request:end" ran longer than 100ms`
	tests := []struct {
		name   string
		remote string // body of Remote
		// code is jstrace's exit code; -1: any (a script that panics on
		// every request is detached after 100 panics, which a loaded host
		// may not serve within the session: the message is what counts).
		code int
		want string // in jstrace's stderr
	}{
		// Class 3: native loops over a killed script's methods.
		{"sort.Sort, Len 1<<62", `traces.On("request:end", func(t *script.Trace) { sort.Sort(Huge{}) })`, 4, handler},
		{"heap.Init, Len 1<<62", `traces.On("request:end", func(t *script.Trace) { heap.Init(&Huge{}) })`, 4, handler},
		{"sort.Stable, Len 1<<62", `traces.On("request:end", func(t *script.Trace) { sort.Stable(Huge{}) })`, 4, handler},
		{"sort.IsSorted, Len 1<<62", `traces.On("request:end", func(t *script.Trace) { sort.IsSorted(Huge{}) })`, 4, handler},
		{"heap.Fix with a Less that loops", `traces.On("request:end", func(t *script.Trace) { heap.Fix(&Spin{3, 2, 1}, 2) })`, 4, handler},
		{"sort.Slice of 4M with a slow less", `traces.On("request:end", func(t *script.Trace) { sort.Slice(big, func(i, j int) bool { for k := 0; k < 50; k++ {}; return i > j }) })`, 4, handler},
		{"sort.Sort in Every", `traces.Every(10*time.Millisecond, func() { sort.Sort(Huge{}) })`, 4, "script detached: an Every callback ran longer than 100ms"},
		{"sort.Sort in Remote", `sort.Sort(Huge{})`, 4, "the script's entry point ran longer than 1s"},
		// A cleanup has 1 s of CPU; on a host so loaded that it gets less than
		// that in 5 s, the session's end stops it first. Either way the
		// script was stopped for a limit: exit 4, though the session had
		// reached its end.
		{"heap.Init in cleanup", `traces.OnCleanup(func() { heap.Init(&Huge{}) })`, 4, "a cleanup function ran longer than 1s|its cleanup did not finish within 5s|script detached: the agent's 1 sessions used"}, // the last: the agents' CPU limit, first on a loaded machine
		// Class 2c: allocations sized by script values.
		{"slices.Grow 1<<40", `traces.On("request:end", func(t *script.Trace) { _ = slices.Grow[[]byte, byte](nil, 1<<40) })`, -1, "exceeds the scripts' limit of 256 MiB"},
		{"strings.Builder.Grow 1<<40", `traces.On("request:end", func(t *script.Trace) { var b strings.Builder; b.Grow(1 << 40) })`, -1, "exceeds the scripts' limit of 256 MiB"},
		{"regexp.ReplaceAllString of empty matches", `x := strings.Repeat("x", 1<<20); traces.On("request:end", func(t *script.Trace) { _ = regexp.MustCompile("").ReplaceAllString(x, x[:65536]) })`, -1, "would make more than the scripts' limit of 256 MiB"},
		{"regexp.ReplaceAllStringFunc over 16 MiB", `x := strings.Repeat("x", 1<<24); traces.On("request:end", func(t *script.Trace) { regexp.MustCompile("").ReplaceAllStringFunc(x, func(s string) string { for k := 0; k < 100; k++ {}; return "" }) })`, 4, handler},
		{"strings.Join of one string many times", `x := strings.Repeat("x", 1<<20); s := make([]string, 5000); for i := range s { s[i] = x }; traces.On("request:end", func(t *script.Trace) { _ = strings.Join(s, "") })`, -1, "exceeds the scripts' limit of 256 MiB"},
		{"tabwriter minwidth 1<<40", `traces.On("request:end", func(t *script.Trace) { var b bytes.Buffer; w := tabwriter.NewWriter(&b, 1<<40, 8, 1, ' ', 0); w.Write([]byte("a\tb\n")); w.Flush() })`, -1, "tabwriter: padding 2 cells would exceed the scripts' limit"},
		{"fmt widths of a million", `a := make([]any, 2000); for i := range a { a[i] = 1 }; f := strings.Repeat("%01000000d", 2000); traces.On("request:end", func(t *script.Trace) { traces.Logf(f, a...) })`, -1, "traces: value too large to print"},
		// fmt pads every element of a slice or map and every field of a
		// struct to the verb's width: ten thousand ints are ten gigabytes.
		{"traces.Logf width over a slice", `traces.On("request:end", func(t *script.Trace) { traces.Logf("%01000000d", make([]int, 10000)) })`, -1, "traces: value too large to print"},
		{"traces.Errorf widths from arguments over structs", `traces.On("request:end", func(t *script.Trace) { traces.Errorf("%*v", 1000000, make([]struct{ A, B int }, 5000)) })`, -1, "traces: value too large to print"},
		{"fmt.Sprintf width over a map", `m := map[int]int{}; for i := 0; i < 10000; i++ { m[i] = i }; traces.On("request:end", func(t *script.Trace) { _ = fmt.Sprintf("%0100000d", m) })`, -1, "fmt: value too large to print"},
		{"traces.Log of one buffer a thousand times", `b := bytes.NewBufferString(strings.Repeat("x", 1<<20)); s := make([]*bytes.Buffer, 1000); for i := range s { s[i] = b }; traces.On("request:end", func(t *script.Trace) { traces.Log(s) })`, -1, "traces: value too large to print"},
		{"fmt.Fprintf precision over nested slices", `g := make([][]float64, 100); for i := range g { g[i] = make([]float64, 100) }; traces.On("request:end", func(t *script.Trace) { fmt.Fprintf(&bytes.Buffer{}, "%.1000000f", g) })`, -1, "fmt: value too large to print"},
		// Class 2d: natives recursing over script values built across callbacks.
		{"json.Marshal of a deep []any", `var v any = 1; n := 0; traces.Every(20*time.Millisecond, func() { if n < 300000 { for i := 0; i < 20000; i++ { v = []any{v} }; n += 20000; return }; json.Marshal(v) })`, -1, "json: value nested too deep"},
		{"json.MarshalIndent of a deep map", `var v any = 1; n := 0; traces.Every(20*time.Millisecond, func() { if n < 100000 { for i := 0; i < 4000; i++ { v = map[string]any{"k": v} }; n += 4000; return }; json.MarshalIndent(v, "", " ") })`, -1, "json: value nested too deep"},
		{"json.Encoder of a pointer cycle", `traces.On("request:end", func(t *script.Trace) { n := &N{}; n.Next = n; json.NewEncoder(&bytes.Buffer{}).Encode(n) })`, -1, "json: value contains itself"},
		{"errors.Join of itself", `traces.On("request:end", func(t *script.Trace) { e := errors.New("x"); for i := 0; i < 40; i++ { e = errors.Join(e, e) }; traces.Log(e) })`, -1, "errors: error tree value too large"},
	}
	// long are the cases whose script builds its value over many Every
	// callbacks before the call under test: their sessions last 10 s, not
	// 4. Under -race, with the lanes side by side on two cores, the 15
	// callbacks of the deep []any once took more than 4 s (the session
	// ended, exit 0, before json.Marshal ran).
	long := map[string]bool{"json.Marshal of a deep []any": true, "json.MarshalIndent of a deep map": true}
	// The cases run in lanes side by side, each lane against a service of
	// its own, one case at a time: each CPU check sees its own service.
	const lanes = 4
	e := newEnv(t)
	for lane := range lanes {
		t.Run(fmt.Sprintf("service %d", lane+1), func(t *testing.T) {
			t.Parallel()
			le := e.sub(t)
			svc := le.start("api", "web-1")
			idle := svc.cpuRate(t, 2*time.Second)
			for i, tt := range tests {
				if i%lanes == lane {
					t.Run(tt.name, func(t *testing.T) { hostileNative(le.sub(t), svc, idle, tt.remote, tt.code, tt.want, long[tt.name]) })
				}
			}
			if log := svc.log.String(); strings.Contains(log, "panic:") || strings.Contains(log, "fatal error") || svc.cmd.ProcessState != nil {
				t.Fatalf("the service suffered:\n%s", log)
			}
		})
	}
}

// hostileNative runs a script whose Remote has the given body against svc,
// wants jstrace to exit with code (-1: any) saying want, and the service,
// whose CPU use was idle before any session, to give its CPU back.
func hostileNative(e *env, svc *service, idle float64, remote string, code int, want string, long bool) {
	t := e.t
	src := e.script("native.go", `package main

import (
	"bytes"
	"container/heap"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

var _, _, _, _ = time.Second, strings.Repeat, json.Valid, errors.New
var _, _, _, _ = bytes.MinRead, regexp.QuoteMeta, tabwriter.Debug, fmt.Sprint

func init() { _ = slices.Grow[[]int, int](nil, 0) }

// Huge claims 1<<62 elements.
type Huge struct{}

func (Huge) Len() int           { return 1 << 62 }
func (Huge) Less(i, j int) bool { return i < j }
func (Huge) Swap(i, j int)      {}
func (*Huge) Push(x any)        {}
func (*Huge) Pop() any          { return nil }

// Spin's Less loops.
type Spin []int

func (s Spin) Len() int           { return len(s) }
func (s Spin) Less(i, j int) bool { for {} }
func (s Spin) Swap(i, j int)      {}
func (s *Spin) Push(x any)        {}
func (s *Spin) Pop() any          { return nil }

type N struct{ Next *N }

var big = make([]int, 1<<22)

func Remote(traces *script.Traces) {
	`+remote+`
}
`)
	start := time.Now()
	duration := "4s"
	if long {
		duration = "10s"
	}
	r := e.jstrace("-p", strconv.Itoa(svc.pid), "--duration", duration, src)
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("jstrace took %v", d)
	}
	if (code >= 0 && r.code != code) || !containsAny(r.stderr, strings.Split(want, "|")) {
		t.Fatalf("exit %d, want %d and %q\nstderr:\n%.3000s", r.code, code, want, r.stderr)
	}
	if strings.Contains(r.stderr, "still running in the service") {
		t.Errorf("the script outlived its session:\n%.2000s", r.stderr)
	}
	svc.alive(t)
	e.waitSessions(svc.pid, 0)
	// The session's thread must not spin on: a killed script's
	// native loop adds a whole CPU (what the host can give it).
	if rate := svc.cpuRate(t, 2*time.Second); rate > idle+0.3 {
		t.Errorf("the service uses %.2f CPUs after the session, %.2f before any", rate, idle)
	}
}

// cpuRate measures the CPUs the service uses over d, from /proc/<pid>/stat
// (user and system time, in clock ticks of 1/100 s).
func (s *service) cpuRate(t *testing.T, d time.Duration) float64 {
	t.Helper()
	before := s.cpuTicks(t)
	time.Sleep(d)
	return float64(s.cpuTicks(t)-before) / 100 / d.Seconds()
}

func (s *service) cpuTicks(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(s.pid) + "/stat")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	// The command name, in parentheses, may hold spaces: fields count
	// from after it. utime and stime are fields 14 and 15.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return utime + stime
}

// containsAny reports whether s contains one of subs.
func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
