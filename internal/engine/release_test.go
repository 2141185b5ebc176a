package engine

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"
	"weak"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

// A script whose handlers, Every callbacks and cleanup functions are all
// compiled code runs no interpreted code once its entry point has
// returned: the engine lets go of the interpreter, which the collector
// then frees (the weak pointer), and the compiled code goes on running:
// its handler where the probe fires, its Every callback on the timer. One interpreted function of any kind keeps the
// interpreter.
func TestReleasesInterpreter(t *testing.T) {
	const compiled = `
	n := 0
	traces.On("req", func(t *script.Trace) { n += t.Int("x") + 1 })
	traces.Every(10*time.Millisecond, func() {
		traces.Emit("tick", "n", n)
		n = 0
	})`
	for _, tc := range []struct {
		name, body string
		released   bool
	}{
		{"compiled handler and Every callback", compiled, true},
		{"no callbacks", `_ = time.Second`, true},
		{"an Every callback with a loop", compiled + `
	traces.Every(time.Second, func() {
		for i := 0; i < 3; i++ { n++ }
	})`, true},
		{"an interpreted Every callback", compiled + `
	traces.Every(time.Second, func() { traces.Dump(n) })`, false},
		{"a handler that is a function value", compiled + `
	h := func(t *script.Trace) { n++ }
	traces.On("other", h)`, false},
		{"a cleanup function", compiled + `
	traces.OnCleanup(func() { n++ })`, false},
		// A compiled registration on a Traces without a host panics; the
		// script recovers: it must not count for the interpreted one.
		{"a forged compiled registration", compiled + `
	func() {
		defer func() { recover() }()
		fake := new(script.Traces)
		fake.Every(time.Second, func() { n++ })
	}()
	traces.Every(time.Second, func() { traces.Dump(n) })`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "package main\n\nimport (\n\t\"time\"\n\n\t\"github.com/jstrace-go/jstrace/script\"\n)\n\nfunc Remote(traces *script.Traces) {" + tc.body + "\n}\n"
			out := &fakeOutput{}
			e, err := New(out, Options{Limits: Limits{HandlerTimeout: time.Second, SetupTimeout: 10 * time.Second}})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Stop(context.Background())
			interp := weak.Make(e.interp.Load())
			if err := e.Run("r.go", []byte(src), Remote); err != nil {
				t.Fatal(err)
			}
			if e.Released() != tc.released {
				t.Fatalf("released %v, want %v", e.Released(), tc.released)
			}
			runtime.GC()
			if freed := interp.Value() == nil; freed != tc.released {
				t.Fatalf("interpreter freed %v, want %v", freed, tc.released)
			}
			if tc.body != compiled {
				return
			}
			var ahead atomic.Int64
			if !inlineSoon(e, "req", &ahead) {
				t.Fatal("the compiled handler did not run inline")
			}
			deadline := time.Now().Add(10 * time.Second)
			for ticks(out) < 2 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if n := ticks(out); n < 2 {
				t.Fatalf("%d ticks in 10 s", n)
			}
			if err := e.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
			out.mu.Lock()
			defer out.mu.Unlock()
			if len(out.faults) != 0 || len(out.detached) != 0 {
				t.Errorf("faults %q, detached %q", out.faults, out.detached)
			}
		})
	}
}

func ticks(o *fakeOutput) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(slices.DeleteFunc(slices.Clone(o.emits), func(s string) bool { return s != "tick" }))
}

// A script that imports a package of the service's keeps its interpreter:
// the service's functions might keep one of the script's to call later.
func TestServicePackageKeepsInterpreter(t *testing.T) {
	const src = `package main

import (
	"example.com/svc"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	_ = svc.Name
}
`
	e, err := New(&fakeOutput{}, Options{Packages: map[string]map[string]reflect.Value{
		"example.com/svc": {"Name": reflect.ValueOf("svc")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop(context.Background())
	if err := e.Run("r.go", []byte(src), Remote); err != nil {
		t.Fatal(err)
	}
	if e.Released() {
		t.Error("released the interpreter of a script importing a service's package")
	}
}

// shippingOutput is fakeOutput that takes shipped groups.
type shippingOutput struct {
	fakeOutput
	shipped atomic.Int64
}

func (o *shippingOutput) Ship(name string, g *protocol.Groups) error {
	if g != nil {
		o.shipped.Add(1)
	}
	return nil
}

// traces.Ship's shipments are Go code of package script's, not the
// script's: a Remote that only ships its Aggregations (the cluster's
// latency, examples/scripts/cluster-p99.go) lets go of the interpreter,
// and its groups are shipped all the same, every ShipEvery and at Stop.
func TestShipReleasesInterpreter(t *testing.T) {
	const src = `package main

import "github.com/jstrace-go/jstrace/script"

func Remote(traces *script.Traces) {
	traces.Ship("routes", traces.Aggregate("request:end", script.Agg{By: "path", Of: "duration"}))
}
`
	out := &shippingOutput{}
	e, err := Start("s.go", []byte(src), Remote, out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !e.Released() {
		t.Error("a script that only ships kept its interpreter")
	}
	if err := e.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if out.shipped.Load() == 0 {
		t.Error("nothing shipped at Stop")
	}
}

// The examples that aggregate and report their groups once a second
// (ranging over Take, an Every callback compiled with its loop) let go
// of the interpreter, as docs/scripts.md says.
func TestExamplesReleaseInterpreter(t *testing.T) {
	for _, name := range []string{"quickstart", "latency-by-status"} {
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("..", "..", "examples", "scripts", name+".go"))
			if err != nil {
				t.Fatal(err)
			}
			e, err := Start(name+".go", src, Remote, &fakeOutput{}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Stop(context.Background())
			if !e.Released() {
				t.Error("kept its interpreter")
			}
		})
	}
}
