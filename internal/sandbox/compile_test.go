package sandbox

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/script"
)

// compileHead declares the state a handler shares with the script; the
// "dump" handler (interpreted: it has a loop) prints all of it.
const compileHead = `package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

var g int
var gs string

%s

func Remote(traces *script.Traces) {
	n, errors := 0, 0
	var total time.Duration
	var f float64
	var s string
	var b bool
	var last time.Time
	var hist [8]int
	sl := make([]int, 4)
	m := map[string]int{}
	mi := map[int]int{}
	md := map[string]time.Duration{}
	ms := map[string]string{}
	mf := map[string]float64{}
	mb := map[int]bool{}
	var mn map[string]int
	traces.On("x", func(t *script.Trace) {
%s
	})
	traces.On("dump", func(t *script.Trace) {
		for i := 0; i < 1; i++ {
		}
		traces.Log(n, errors, total, f, s, b, last.UnixNano(), hist, sl, m, mi, md, ms, mf, mb, g, gs)
	})
	_, _, _, _, _, _, _ = math.Pi, strconv.Itoa, strings.ToUpper, fmt.Sprint, last, hist, mn
}
`

// compileCases are handlers run both compiled and interpreted: each must
// leave the same state, print and emit the same, and panic alike.
var compileCases = []struct {
	name, decls, body string
	compiles          bool
}{
	{"count", "", `n++`, true},
	{"bench handler", "", `n++
		total += t.Dur("duration")
		if t.Int("status") >= 500 {
			errors++
		}`, true},
	{"rate handler", "", `n++
		if n%3 != 0 {
			return
		}
		d := time.Since(t.Time)
		if d > total {
			total = d / d
		}
		i := int(d / (100 * time.Hour))
		if i > 7 {
			i = 7
		}
		hist[i]++`, true},
	{"maps", "", `m[t.Str("path")]++
		mi[t.Int("status")] += 2
		md[t.Str("path")] += t.Dur("duration")
		ms[t.Str("path")] = ms[t.Str("path")] + "," + strconv.Itoa(t.Int("status"))
		mf["x"] += t.Float("ratio") * 2
		mb[t.Int("status")] = !mb[t.Int("status")]`, true},
	{"strings and natives", "", `s = strings.ToUpper(t.Str("path")) + t.Name
		if strings.HasPrefix(t.Str("path"), "/a") && !strings.Contains(s, "zz") || len(s) > 100 {
			b = !b
		}
		gs = fmt.Sprintf("%s:%d:%v", t.Str("path"), t.Int("status"), t.Dur("duration"))
		f = math.Max(f, t.Float("ratio")) + math.Sqrt(2)`, true},
	{"emit and log", "", `traces.Emit("y", "n", n, "d", t.Dur("duration"), "p", t.Str("path"), "f", 1.5, "b", true, "pid", t.PID)
		traces.Logf("%d %s", t.Int("status"), t.Name)
		traces.Log("x", n, total)`, true},
	{"script functions", `func bucket(d time.Duration) int {
	if d < time.Millisecond {
		return 0
	}
	return clamp(int(d/time.Millisecond), 7)
}

func clamp(i, hi int) int {
	if i > hi {
		return hi
	}
	return i
}

func note(traces *script.Traces, s string) { traces.Log("note", s, len(s)) }`, `hist[bucket(t.Dur("duration"))]++
		note(traces, t.Str("path"))`, true},
	{"assignments", "", `a, c := t.Int("status"), t.Str("path")
		a, n = n, a
		var z int
		var w = 3
		z += w * 2
		z -= 1
		z *= 3
		z /= 2
		z %= 7
		z |= 8
		z &^= 1
		z ^= 2
		errors += z
		_ = c
		s += c
		f -= float64(a) / 3
		sl[n%4] += int(f)
		n--`, true},
	{"conversions and durations", "", `d := t.Dur("duration")
		f += d.Seconds() + float64(d.Milliseconds())
		total += time.Duration(int64(f)) + time.Duration(d.Microseconds())*time.Microsecond
		s = d.String()
		n = int(t.Time.Sub(t.Time.Add(-d)) / time.Millisecond)
		last = t.Time`, true},
	{"if else chains", "", `if st := t.Int("status"); st >= 500 {
			errors++
		} else if st >= 400 {
			n += 10
		} else {
			n++
		}
		if !t.Has("path") || t.Bool("slow") {
			return
		}
		g++`, true},
	{"constants and adding in place", "", `n++
		n -= math.MinInt64
		n += math.MaxInt64
		errors += 2
		errors--
		total -= time.Millisecond
		total += t.Dur("duration") - 3*time.Microsecond
		f += 1.5
		f -= t.Float("ratio")
		f -= 0.25
		f = f*2 + t.Float("ratio")/4 - 1
		g += (t.Int("status")-1000)/7 + (t.Int("status")-1000)%7 + t.Int("status")*3 - 2
		if t.Int("status") < 404 {
			g++
		}
		if t.Int("status") <= 404 && t.Int("status") != 200 {
			g += 10
		}
		if t.Int("status") > 404 || t.Int("status") == 200 {
			g += 100
		}
		if t.Int("status") >= 500 {
			g += 1000
		}
		if t.Float("ratio") > 0.25 || t.Float("ratio") == 0 {
			b = !b
		}
		if t.Str("path") == "/a" || t.Str("path") < "/b" || t.Str("path") >= "/b/4" {
			gs += "x"
		}`, true},
	{"panics: index", "", `hist[t.Int("status")%10]++`, true},
	{"panics: divide", "", `n = 100 / (t.Int("status") - 404)`, true},
	{"panics: nil map", "", `m[t.Str("path")] = 1
		if t.Int("status") == 500 {
			mn["x"]++
		}`, true},
	{"fields", "", `s = t.Name + t.Hostname + t.Title
		n += t.PID`, true},
	{"getters of one trace read in one pass", "", `if t.Has("_pid") || t.Has("pid") {
			g += t.Int("_pid") + t.Int("pid") + t.Int("")
		}
		n += t.Int("status") + int(t.Dur("duration")/time.Microsecond) + int(t.Float("ratio"))
		s += t.Str("path") + t.Str("status") + t.Str("nothing")
		if t.Bool("slow") && t.Int("status") > 0 {
			errors++
		}
		last = t.TimeField("nothing")
		total += t.Dur("status")`, true},
	// Not compiled: interpreted, inline as before.
	{"a script function setting a package variable", `func inc() int { g++; return 1 }`, `n = g + inc()`, false},
	{"a named result", `func acc(x int) (r int) { r += x; return }`, `n = acc(1)`, false},
	{"an element among several assignments", "", `n, hist[t.Int("status")/50] = n+1, 5`, false},
	{"switches", "", `switch t.Int("status") {
		case 500, 503:
			errors++
		case 404:
			n += 2
		default:
			n++
		}
		switch p := t.Str("path"); {
		case p == "":
			s += "-"
		case strings.HasPrefix(p, "/a"):
			s += "a"
			if n > 30 {
				return
			}
			g++
		default:
			s += "o"
		}
		switch t.Str("path") {
		case "/b/1", "/b/4":
			hist[1]++
		}
		switch {
		}
		gs += "."`, true},
	{"a switch with fallthrough", "", `switch t.Int("status") {
		case 500:
			errors++
			fallthrough
		case 404:
			n++
		}`, false},
	{"getters of keys not constant", "var key = \"status\"", `n += t.Int(key) + t.Int(gs+"ratio")
		if t.Has(key) {
			total += t.Dur("duration")
		}`, true},
	{"errors printed", "", `traces.Error("e", t.Int("status"))
		traces.Errorf("%s %v", t.Str("path"), t.Dur("duration"))`, true},
	{"struct value", "type P struct{ x int }", `p := P{1}
		n += p.x`, false},
	{"closure", "", `f := func() { n++ }
		_ = f`, false},
	{"local map", "", `var mm map[string]int
		_ = mm`, false},
	{"unknown native", "", `n += strings.Count(t.Str("path"), "/") + strings.Index(t.Str("path"), "b")
		s = strings.Repeat("a", 2)`, false},
}

func TestCompiledHandlersMatchInterpreted(t *testing.T) {
	traces := compileTraces(t)
	for _, tc := range compileCases {
		t.Run(tc.name, func(t *testing.T) {
			src := fmt.Sprintf(compileHead, tc.decls, tc.body)
			interpreted, n0 := runHandler(t, src, false, traces)
			compiled, n1 := runHandler(t, src, true, traces)
			if n0 != 0 || (n1 == 1) != tc.compiles {
				t.Fatalf("compiled handlers: %d without compiling, %d with; want %v\n%s", n0, n1, tc.compiles, src)
			}
			if compiled != interpreted {
				t.Errorf("compiled:\n%s\ninterpreted:\n%s", compiled, interpreted)
			}
		})
	}
}

// compileTraces returns 40 traces of probe x with status, duration,
// ratio, and on most a path.
func compileTraces(t *testing.T) []*script.Trace {
	base := time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC)
	var traces []*script.Trace
	for i := range 40 {
		kv := []any{"status", []int{200, 404, 500, 201, 503}[i%5], "duration", time.Duration(i*i) * 137 * time.Microsecond, "ratio", float64(i) / 7}
		if i%7 != 3 {
			kv = append(kv, "path", fmt.Sprintf("/%c/%d", 'a'+i%3, i))
		}
		if i%11 == 0 {
			kv = append(kv, "slow", true)
		}
		if i%13 == 5 { // a key twice (the last wins), and one presented as "_pid"
			kv = append(kv, "status", 299+i, "pid", i, "", i)
		}
		rec := recordWith(t, kv...)
		tr, err := scripthost.ParseTrace(rec, scripthost.Origin{Hostname: "h", Title: "svc", PID: 42})
		if err != nil {
			t.Fatal(err)
		}
		tr.Time = base.Add(time.Duration(i) * time.Second)
		traces = append(traces, tr)
		records.Store(tr, rec)
	}
	return traces
}

// records holds the record of each of compileTraces' traces.
var records sync.Map

// lendFields returns the trace a host lends a handler that reads only the
// fields keys of tr (see link.Loan): tr with those fields alone.
func lendFields(t *testing.T, tr *script.Trace, keys []string) *script.Trace {
	t.Helper()
	rec, _ := records.Load(tr)
	r, err := protocol.ParseRecord(rec.([]byte))
	if err != nil {
		t.Fatal(err)
	}
	lent := new(script.Trace)
	scripthost.LoadFieldsTrace(lent, tr.Name, tr.Time, onlyFields(t, r.Fields, keys), scripthost.Origin{Hostname: tr.Hostname, Title: tr.Title, PID: tr.PID})
	return lent
}

// runHandler runs the x handler of src over traces, then dumps the state,
// and returns what the script printed and emitted, and which calls
// panicked; and how many handlers ran compiled. A compiled handler that
// names the fields it reads (link.Loan) gets traces with those alone.
func runHandler(t *testing.T, src string, compile bool, traces []*script.Trace) (string, int) {
	t.Helper()
	h := &lendingHost{}
	x, err := New(Options{Stdout: &h.out})
	if err != nil {
		t.Fatal(err)
	}
	x.noCompile = !compile
	s, err := x.Load("c.go", []byte(src))
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	s.Remote(scripthost.NewTraces(h))
	if len(h.handlers) != 2 {
		t.Fatalf("%d handlers", len(h.handlers))
	}
	for i, tr := range traces {
		func() {
			defer func() {
				if r := recover(); r != nil {
					fmt.Fprintf(&h.out, "call %d panicked\n", i)
				}
			}()
			if len(h.loans) > 0 && h.loans[0].Borrows && h.loans[0].Keys != nil {
				tr = lendFields(t, tr, h.loans[0].Keys)
			}
			h.handlers[0](tr)
		}()
	}
	h.handlers[1](traces[0])
	return h.out.String(), x.CompiledHandlers()
}

// recordingHost is fakeHost keeping what is emitted, in order with what
// is printed.
type recordingHost struct {
	fakeHost
	out strings.Builder
}

func (h *recordingHost) Emit(name string, kv []any) { fmt.Fprintf(&h.out, "emit %s %v\n", name, kv) }
func (h *recordingHost) Print(stream byte, text string) {
	fmt.Fprintf(&h.out, "[%d] %s", stream, text)
}

// A panic in a compiled handler leaves the trail an interpreted one does
// on the interpreter's standard error (the engine reads its position from
// there), with the position of the statement that panicked, in a script
// function called from the handler too.
func TestCompiledPanicTrail(t *testing.T) {
	src := `package main

import "github.com/jstrace-go/jstrace/script"

func div(a, b int) int {
	return a / b
}

func Remote(traces *script.Traces) {
	m := map[string]int(nil)
	n := 0
	traces.On("a", func(t *script.Trace) {
		n++
		m["x"] = n
	})
	traces.On("b", func(t *script.Trace) {
		n += div(1, t.Int("zero"))
	})
}
`
	for _, compile := range []bool{false, true} {
		var stderr strings.Builder
		x, err := New(Options{Stderr: &stderr})
		if err != nil {
			t.Fatal(err)
		}
		x.noCompile = !compile
		s, err := x.Load("p.go", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		h := &recordingHost{}
		s.Remote(scripthost.NewTraces(h))
		if got := x.CompiledHandlers(); (got == 2) != compile {
			t.Fatalf("compile %v: %d handlers compiled", compile, got)
		}
		var lines []string
		for _, fn := range h.handlers {
			stderr.Reset()
			func() {
				defer func() { recover() }()
				fn(&script.Trace{})
			}()
			first, _, _ := strings.Cut(stderr.String(), "\n")
			lines = append(lines, first)
		}
		want := []string{"p.go:13:3: panic: main.Remote.func(...)", "p.go:6:9: panic: main.div(...)"} // the interpreter's positions
		if compile {
			want = []string{"p.go:14:3: panic: main.Remote.func(...)", "p.go:6:2: panic: main.div(...)"}
		}
		if !slices.Equal(lines, want) {
			t.Errorf("compile %v: trails %q, want %q", compile, lines, want)
		}
	}
}

// A handler that is a script function shares the package's variables; at
// the traces.On call a local of the same name would be what &g names, so
// such a handler is not compiled (and the package variable is counted).
func TestCompiledHandlerShadowedAtCall(t *testing.T) {
	src := `package main

import "github.com/jstrace-go/jstrace/script"

var g int

func h(t *script.Trace) { g++ }

func Remote(traces *script.Traces) {
	g := 100
	traces.On("x", h)
	traces.On("dump", func(t *script.Trace) {
		for i := 0; i < 1; i++ {
		}
		traces.Log(g)
	})
}

func Local(traces *script.Traces) { traces.Log(g) }
`
	for _, shadowed := range []bool{true, false} {
		s := src
		if !shadowed {
			s = strings.Replace(s, "g := 100", "k := 100\n\t_ = k", 1)
		}
		x, err := New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		sc, err := x.Load("s.go", []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		h := &recordingHost{}
		sc.Remote(scripthost.NewTraces(h))
		h.handlers[0](&script.Trace{})
		h.handlers[0](&script.Trace{})
		h.out.Reset()
		sc.Local(scripthost.NewTraces(h))
		if got := x.CompiledHandlers(); (got == 1) == shadowed || h.out.String() != "[1] 2\n" {
			t.Errorf("shadowed %v: %d compiled, package g %q after two events", shadowed, got, h.out.String())
		}
	}
}
