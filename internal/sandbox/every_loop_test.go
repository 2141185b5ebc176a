package sandbox

import (
	"fmt"
	"go/types"
	"runtime"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/jstrace-go/jstrace/internal/scripthost"
)

// everyLoopHead is a script whose Every callback (the second %s) shares
// an Aggregation, counters, an array, a slice and a map with a handler;
// the first %s declares script functions.
const everyLoopHead = `package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

%s

func Remote(traces *script.Traces) {
	reqs := traces.Aggregate("req", script.Agg{By: "status", Of: "d"})
	n := 0
	var total time.Duration
	var hist [4]int
	sl := []int{3, 1, 4, 1, 5}
	m := map[string]int{}
	md := map[int]time.Duration{}
	traces.On("req", func(t *script.Trace) {
		n++
		total += t.Dur("d")
		m[t.Str("path")]++
		md[t.Int("status")] += t.Dur("d")
		hist[n%%4]++
	})
	traces.Every(time.Second, func() {
%s
	})
	_, _, _, _, _, _, _, _ = reqs, fmt.Sprint, strconv.Itoa, strings.ToUpper, sl, hist, m, md
}
`

// everyLoopCases are Every callbacks run both compiled and interpreted:
// each must print and emit the same, tick after tick, and panic alike.
// Map ranges report what does not depend on the order.
var everyLoopCases = []struct {
	name, decls, body string
	compiles          bool
}{
	{"the harness's aggregate", "", `n, errors := 0, 0
		var total float64
		for _, g := range reqs.Take() {
			n += g.Count
			total += g.Sum
			if status, _ := strconv.Atoi(g.Key); status >= 500 {
				errors += g.Count
			}
		}
		traces.Emit("summary", "n", n, "errors", errors, "total", time.Duration(total))`, true},
	{"groups", "", `for i, g := range reqs.Snapshot() {
			traces.Emit("g", "i", i, "key", g.Key, "n", g.Count, "mean", time.Duration(g.Mean()),
				"p50", time.Duration(g.Quantile(0.5)), "min", g.Min, "max", g.Max, "sum", g.Sum)
			fmt.Println(g.String(), g)
		}
		fmt.Println(reqs.Missing(), reqs.Dropped())`, true},
	{"for, break and continue", "", `for i := 0; i < 10; i++ {
			if i%2 == 0 {
				continue
			}
			if i > 6 {
				break
			}
			traces.Log(i)
		}
		k := n
		for k > 0 {
			k--
			if k == 2 {
				break
			}
		}
		for {
			k += 10
			if k > 35 {
				break
			}
		}
		fmt.Println(k)`, true},
	{"ranges over arrays and slices", "", `s := 0
		for i, v := range sl {
			s += i * v
		}
		for i := range hist {
			hist[i] *= 2
		}
		for _, v := range hist {
			s += v
			hist[0] = 100 // a range over an array ranges over its copy
		}
		for range sl {
			s++
		}
		fmt.Println(s, hist[0], hist[3], len(sl))`, true},
	{"ranges over maps", "", `c, most := 0, 0
		for k, v := range m {
			c += len(k) * v
			if v > most {
				most = v
			}
		}
		var sum time.Duration
		for st, d := range md {
			if st >= 500 {
				sum += d
			}
		}
		for k := range m {
			m[k] = 0
		}
		fmt.Println(c, most, sum, m["/a"])`, true},
	{"a switch in a loop", "", `for _, v := range sl {
			switch {
			case v == 1:
				continue
			case v > 4:
				traces.Log("big", v)
			default:
				traces.Log(v)
			}
		}`, true},
	{"return and nested loops", "", `for i := 0; i < 3; i++ {
			for j := 0; j < 3; j++ {
				if j > i {
					break
				}
				traces.Log(i, j)
			}
		}
		for _, v := range sl {
			if v == 4 {
				return
			}
			traces.Log(v)
		}
		traces.Log("not reached")`, true},
	{"a script function with a loop", `func thirds(n int) int {
	c := 0
	for i := 0; i < n; i++ {
		if i%3 == 0 {
			c++
		}
	}
	return c
}`, `fmt.Println(thirds(n), thirds(2))`, true},
	{"natives of several results", "", `a, err := strconv.Atoi("12x")
		if err != nil {
			traces.Log("bad", a, err, err.Error())
		}
		a, err = strconv.Atoi("12")
		f, err2 := strconv.ParseFloat("1.5", 64)
		i64, _ := strconv.ParseInt("ff", 16, 64)
		b, _ := strconv.ParseBool("true")
		d, err3 := time.ParseDuration("1.5s")
		before, after, found := strings.Cut("a=b", "=")
		rest, ok := strings.CutPrefix("/api/x", "/api")
		fmt.Println(a, err == nil, f, err2 != nil, i64, b, d, err3, before, after, found, rest, ok)`, true},
	{"a runaway index", "", `for i := 0; i <= len(sl); i++ {
			fmt.Println(sl[i])
		}`, true},
	// The interpreter counts with the key variable: setting it skips
	// elements there, not in Go. Such a range stays interpreted.
	{"a range setting its key", "", `c := 0
		for i := range sl {
			i += 2
			c++
		}
		for i, g := range reqs.Snapshot() {
			i++
			traces.Log(i, g.Key)
		}
		fmt.Println(c)`, false},
	{"groups copied, Take twice, errors both ways", `func worst(a, b script.Group) script.Group {
	if b.Max > a.Max {
		return b
	}
	return a
}`, `var best script.Group
		for _, g := range reqs.Snapshot() {
			best = worst(best, g)
		}
		h := best
		n := 0
		for range reqs.Take() {
			n++
		}
		for range reqs.Take() {
			n += 100
		}
		a, err := strconv.Atoi("7")
		if nil == err {
			a, err := strconv.Atoi("x")
			fmt.Println(a, err != nil)
		}
		fmt.Println(h.Key, h.Count, n, a, err == nil)`, true},
	{"break out of a switch", "", `for _, v := range sl {
			switch v {
			case 1:
				break
			}
			traces.Log(v)
		}`, false},
	{"a labeled break", "", `outer:
		for _, v := range sl {
			for range sl {
				break outer
			}
			traces.Log(v)
		}
		traces.Log("after", n)`, false},
	{"a range over a call", "", `for _, s := range strings.Fields("a b") {
			traces.Log(s)
		}`, false},
	{"a range assigning", "", `var i, v int
		for i, v = range sl {
		}
		traces.Log(i, v)`, false},
}

func TestEveryLoopsCompiled(t *testing.T) {
	for _, c := range everyLoopCases {
		t.Run(c.name, func(t *testing.T) {
			src := fmt.Sprintf(everyLoopHead, c.decls, c.body)
			interpreted, ni := runEvery(t, src, false)
			compiled, nc := runEvery(t, src, true)
			if compiled != interpreted {
				t.Errorf("compiled:\n%s\ninterpreted:\n%s", compiled, interpreted)
			}
			want := 1 // the handler
			if c.compiles {
				want++
			}
			if ni != 0 || nc != want {
				t.Errorf("compiled callbacks %d (interpreted), %d (compiled), want 0 and %d", ni, nc, want)
			}
			if strings.Count(compiled, "\n") < 3 {
				t.Errorf("output:\n%s", compiled)
			}
		})
	}
}

// runEvery loads src, feeds its Aggregation and handler three rounds of
// traces, ticking its Every callback after each, and returns what it
// printed and emitted and how many of its callbacks are compiled.
func runEvery(t *testing.T, src string, compile bool) (string, int) {
	t.Helper()
	h := &everyHost{}
	x, err := New(Options{Stdout: &h.out})
	if err != nil {
		t.Fatal(err)
	}
	x.noCompile = !compile
	s, err := x.Load("e.go", []byte(src))
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	// Compiled code keeps nothing of the check once the entry point has
	// run: a go/types object (a cell's type) would keep the host's types,
	// all of them, for the session's life.
	var pkg weak.Pointer[types.Package]
	if compile {
		pkg = weak.Make(x.host.types.pkgs[ScriptPackage])
	}
	s.Remote(scripthost.NewTraces(h))
	if len(h.handlers) != 2 || len(h.every) != 1 {
		t.Fatalf("%d handlers, %d Every callbacks", len(h.handlers), len(h.every))
	}
	runtime.GC()
	runtime.GC()
	if pkg.Value() != nil {
		t.Error("the host's types outlived the script's entry point")
	}
	paths := []string{"/a", "/b", "/a", "/ccc"}
	for round := 1; round <= 3; round++ {
		for i := 0; i < 2*round; i++ {
			tr := traceWith(t, "d", time.Duration(i+1)*time.Millisecond, "status", 200+150*(i%3), "path", paths[i%len(paths)])
			for _, fn := range h.handlers {
				fn(tr)
			}
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					fmt.Fprintf(&h.out, "tick %d panicked\n", round)
				}
			}()
			h.every[0]()
		}()
	}
	return h.out.String(), x.CompiledCallbacks()
}
