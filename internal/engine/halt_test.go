package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/sandbox/halt"
	"github.com/jstrace-go/jstrace/script"
)

const haltHeader = `package main

import (
	"container/heap"
	"regexp"
	"sort"
	"strings"

	"github.com/jstrace-go/jstrace/script"
)

var _, _ = strings.Map, regexp.QuoteMeta

// Huge claims 1<<62 elements: native loops over it end only if a callback
// into the killed script unwinds them.
type Huge struct{}

func (Huge) Len() int           { return 1 << 62 }
func (Huge) Less(i, j int) bool { return i < j }
func (Huge) Swap(i, j int)      {}
func (*Huge) Push(x any)        {}
func (*Huge) Pop() any          { return nil }

// Slow is small, but its Less loops.
type Slow []int

func (s Slow) Len() int           { return len(s) }
func (s Slow) Less(i, j int) bool { for {} }
func (s Slow) Swap(i, j int)      {}

var big = make([]int, 1<<20)
`

// After the watchdog kills a script, a native function looping over the
// script's callbacks (sort.Sort on a Len of 1<<62) must unwind at the next
// callback: the engine goroutine exits, and Stop reports it.
func TestNativeLoopsUnwindAfterKill(t *testing.T) {
	tests := []struct{ name, remote string }{
		{"sort.Sort", `sort.Sort(Huge{})`},
		{"sort.Stable", `sort.Stable(Huge{})`},
		{"sort.IsSorted", `sort.IsSorted(Huge{})`},
		{"heap.Init", `heap.Init(&Huge{})`},
		{"custom Less loops", `sort.Sort(Slow{3, 2, 1})`},
		{"sort.Slice over a big slice", `sort.Slice(big, func(i, j int) bool { for k := 0; k < 100; k++ {}; return i > j })`},
		{"sort.SliceStable", `sort.SliceStable(big, func(i, j int) bool { for k := 0; k < 100; k++ {}; return i > j })`},
		{"strings.Map", `strings.Map(func(r rune) rune { for {} }, "abc")`},
		{"regexp ReplaceAllStringFunc", `regexp.MustCompile("").ReplaceAllStringFunc(strings.Repeat("x", 1<<24), func(s string) string { for k := 0; k < 100; k++ {}; return "" })`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &fakeOutput{}
			src := haltHeader + "func Remote(traces *script.Traces) {\n" +
				`traces.On("x", func(t *script.Trace) {` + tt.remote + "})\n}\n"
			e, err := Start("s.go", []byte(src), Remote, out, Options{Limits: limits})
			if err != nil {
				t.Fatal(err)
			}
			e.Dispatch(Batch{Traces: []*script.Trace{{Name: "x"}}})
			if r := out.detachedReason(t); !strings.Contains(r, "ran longer than") {
				t.Fatalf("detached because %q", r)
			}
			if e.Stop(within(t, 5*time.Second)) != nil {
				t.Fatal("the engine goroutine still runs 5s after the kill: the native loop did not unwind")
			}
			if n := e.Faults(); n != 0 {
				t.Errorf("%d faults: unwinding a killed script is not a fault of the script", n)
			}
		})
	}
}

// The same in the script's entry point and in a cleanup function.
func TestNativeLoopsUnwindOutsideHandlers(t *testing.T) {
	src := haltHeader + "func Remote(traces *script.Traces) { sort.Sort(Huge{}) }\n"
	start := time.Now()
	_, err := Start("s.go", []byte(src), Remote, &fakeOutput{}, Options{Limits: limits})
	if err == nil || !strings.Contains(err.Error(), "the script's entry point ran longer than") {
		t.Fatalf("entry point: err = %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Start took %v", d)
	}

	out := &fakeOutput{}
	src = haltHeader + "func Remote(traces *script.Traces) { traces.OnCleanup(func() { heap.Init(&Huge{}) }) }\n"
	e, err := Start("s.go", []byte(src), Remote, out, Options{Limits: limits})
	if err != nil {
		t.Fatal(err)
	}
	if e.Stop(within(t, 5*time.Second)) != nil {
		t.Fatal("Stop hung in a cleanup function looping in native code")
	}
	if r := out.detachedReason(t); !strings.Contains(r, "a cleanup function ran longer than") {
		t.Fatalf("reason %q", r)
	}
}

// A killed engine's switch is released when its goroutine exits, so that
// halt.Check returns to its one-load fast path; and a live engine's
// callbacks are not disturbed by another engine's kill.
func TestHaltIsPerEngine(t *testing.T) {
	good := &fakeOutput{}
	src := haltHeader + "func Remote(traces *script.Traces) {\n" +
		`traces.On("x", func(t *script.Trace) { s := Slow{}; sort.Sort(sort.IntSlice{3, 2, 1}); sort.Slice(big[:10], func(i, j int) bool { return i < j }); _ = s; print("ok\n") })` + "\n}\n"
	g, err := Start("good.go", []byte(src), Remote, good, Options{Limits: limits})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { g.Stop(within(t, 5*time.Second)) }()

	bad := &fakeOutput{}
	src = haltHeader + "func Remote(traces *script.Traces) {\n" + `traces.On("x", func(t *script.Trace) { sort.Sort(Huge{}) })` + "\n}\n"
	b, err := Start("bad.go", []byte(src), Remote, bad, Options{Limits: limits})
	if err != nil {
		t.Fatal(err)
	}
	b.Dispatch(Batch{Traces: []*script.Trace{{Name: "x"}}})
	bad.detachedReason(t)
	// While the killed engine may still be unwinding, the good one runs.
	for range 20 {
		g.Dispatch(Batch{Traces: []*script.Trace{{Name: "x"}}})
	}
	if b.Stop(within(t, 5*time.Second)) != nil {
		t.Fatal("killed engine did not exit")
	}
	if n := halt.Live(); n != 0 {
		t.Errorf("%d thrown switches still live after the killed engine exited", n)
	}
	if g.Stop(within(t, 5*time.Second)) != nil {
		t.Fatal("good engine did not stop")
	}
	good.mu.Lock()
	defer good.mu.Unlock()
	if n := strings.Count(good.printed.String(), "ok\n"); n != 20 || len(good.faults) > 0 || len(good.detached) > 0 {
		t.Errorf("good engine: %d handler runs, faults %q, detached %q", n, good.faults, good.detached)
	}
}
