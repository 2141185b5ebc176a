package engine

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

var limits = Limits{HandlerTimeout: 100 * time.Millisecond, SetupTimeout: 300 * time.Millisecond, MaxCPU: 0.5, MaxFaults: 5}

const limitsHeader = `package main

import (
	"time"

	"github.com/jstrace-go/jstrace/script"
)

var _ = time.Second

func spin() {
	for {
	}
}

func recurse(n int) int { return recurse(n+1) + 1 }
`

func (o *fakeOutput) detachedReason(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		o.mu.Lock()
		if len(o.detached) > 0 {
			r := o.detached[0]
			if len(o.detached) > 1 {
				t.Errorf("detached %d times: %q", len(o.detached), o.detached)
			}
			o.mu.Unlock()
			return r
		}
		o.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatal("the script was never detached")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRunawayScriptsAreStopped(t *testing.T) {
	tests := []struct {
		name, remote string
		trigger      bool // dispatch a trace to start the misbehaviour
		want         string
	}{
		{"loop in handler", `traces.On("x", func(t *script.Trace) { spin() })`, true, `handler for "x" ran longer than 100ms`},
		{"recursion in handler", `traces.On("x", func(t *script.Trace) { recurse(0) })`, true, `handler for "x" ran longer than 100ms`},
		// Compiled (the interpreter let go: the kill throws the Halt
		// switch, which the loop checks), interpreted, and compiled with
		// the interpreter kept.
		{"loop in Every", `traces.Every(10*time.Millisecond, func() { spin() })`, false, "an Every callback ran longer than 100ms"},
		{"loop in Every, interpreted", `traces.Every(10*time.Millisecond, func() { traces.Dump(0); spin() })`, false, "an Every callback ran longer than 100ms"},
		{"loop in Every, compiled beside an interpreted one", "traces.Every(10*time.Millisecond, func() { spin() })\ntraces.Every(time.Hour, func() { traces.Dump(0) })", false, "an Every callback ran longer than 100ms"},
		{"panics", `traces.On("x", func(t *script.Trace) { panic("again") })`, true, "5 panics in script code"},
		// The limit is low because a loaded test machine may give the
		// engine's thread much less than a whole CPU.
		{"CPU share", `traces.On("x", func(t *script.Trace) { for i := 0; i < 100000; i++ {} })`, true, "of a CPU for 3s; the limit is 5%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &fakeOutput{}
			src := limitsHeader + "func Remote(traces *script.Traces) {\n" + tt.remote + "\n}\n"
			l := limits
			if tt.name == "CPU share" {
				l.MaxCPU = 0.05
			}
			e, err := Start("s.go", []byte(src), Remote, out, Options{Limits: l})
			if err != nil {
				t.Fatal(err)
			}
			stop := make(chan struct{})
			if tt.trigger {
				go func() {
					for {
						select {
						case <-stop:
							return
						default:
						}
						e.Dispatch(Batch{Traces: []*script.Trace{{Name: "x"}}})
						time.Sleep(time.Millisecond)
					}
				}()
			}
			reason := out.detachedReason(t)
			close(stop)
			if !strings.Contains(reason, tt.want) {
				t.Fatalf("detached because %q, want %q", reason, tt.want)
			}
			if e.Stop(within(t, 5*time.Second)) != nil {
				t.Fatal("Stop did not finish after the script was detached")
			}
		})
	}
}

func TestRunawaySetupIsStopped(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"loop in init", limitsHeader + "func init() { spin() }\nfunc Remote(traces *script.Traces) {}\n", "the script's top level ran longer than 300ms"},
		{"loop in a variable", limitsHeader + "var x = func() int { spin(); return 0 }()\nfunc Remote(traces *script.Traces) {}\n", "the script's top level ran longer than 300ms"},
		// Recursion is stopped by whichever limit it reaches first: the
		// stack's on a fast machine, the time's on a slow one.
		{"recursion in a variable", limitsHeader + "var x = recurse(0)\nfunc Remote(traces *script.Traces) {}\n", "the script's top level ran longer than 300ms|recursion grew the stack past"},
		{"loop in Remote", limitsHeader + "func Remote(traces *script.Traces) { spin() }\n", "the script's entry point ran longer than 300ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Start("s.go", []byte(tt.src), Remote, &fakeOutput{}, Options{Limits: limits})
			if err == nil || !slices.ContainsFunc(strings.Split(tt.want, "|"), func(w string) bool { return strings.Contains(err.Error(), w) }) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestRunawayCleanupIsStopped(t *testing.T) {
	out := &fakeOutput{}
	src := limitsHeader + "func Remote(traces *script.Traces) { traces.OnCleanup(spin) }\n"
	e, err := Start("s.go", []byte(src), Remote, out, Options{Limits: limits})
	if err != nil {
		t.Fatal(err)
	}
	if e.Stop(within(t, 5*time.Second)) != nil {
		t.Fatal("Stop hung in a runaway cleanup")
	}
	if r := out.detachedReason(t); !strings.Contains(r, "a cleanup function ran longer than 300ms") {
		t.Fatalf("reason %q", r)
	}
}

// Panic values that panic when printed, or contain themselves, must be
// reported, not re-panic out of the engine.
func TestHostilePanicValues(t *testing.T) {
	tests := []struct{ name, decl, remote, want string }{
		{"error that panics when printed",
			"type E struct{ n int }\nfunc (e *E) Error() string { var x error = &E{e.n + 1}; panic(errors.Join(x)) }\n",
			`var x error = &E{}; panic(errors.Join(x))`, "whose Error or String method panicked"},
		{"cyclic value",
			"",
			`m := map[string]any{}; m["m"] = m; panic(m)`, "that cannot be printed"},
		{"plain string", "", `panic("plain")`, "panic in main.Remote at s.go"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.Replace(limitsHeader, `"time"`, "\"errors\"\n\t\"time\"", 1) + "var _ = errors.New\n" + tt.decl + "func Remote(traces *script.Traces) {\n" + tt.remote + "\n}\n"
			_, err := Start("s.go", []byte(src), Remote, &fakeOutput{}, Options{Limits: limits})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// Runaway recursion is stopped by its stack, and a call that allocates
// without bound by its heap growth, before Go's fatal limits, even with a
// generous CPU budget.
func TestMemoryRunawayIsStopped(t *testing.T) {
	tests := []struct{ name, remote, want string }{
		{"recursion", `traces.On("x", func(t *script.Trace) { recurse(0) })`, "recursion grew the stack past"},
		{"allocation", `traces.On("x", func(t *script.Trace) { var keep [][]byte; for { keep = append(keep, make([]byte, 1<<20)) } })`, "allocated more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &fakeOutput{}
			src := limitsHeader + "func Remote(traces *script.Traces) {\n" + tt.remote + "\n}\n"
			l := limits
			l.HandlerTimeout, l.MaxCPU = time.Minute, 0 // only the memory limits apply
			e, err := Start("s.go", []byte(src), Remote, out, Options{Limits: l})
			if err != nil {
				t.Fatal(err)
			}
			e.Dispatch(Batch{Traces: []*script.Trace{{Name: "x"}}})
			if r := out.detachedReason(t); !strings.Contains(r, tt.want) {
				t.Fatalf("detached because %q, want %q", r, tt.want)
			}
			e.Stop(within(t, 5*time.Second))
		})
	}
}

// An idle engine's watchdog sleeps (a session must not wake the traced
// process forty times a second for nothing), and wakes for the next call:
// a runaway handler after a long idle time is still stopped.
func TestWatchdogSleepsWhileIdle(t *testing.T) {
	out := &fakeOutput{}
	src := limitsHeader + "func Remote(traces *script.Traces) {\n" + `traces.On("x", func(t *script.Trace) { spin() })` + "\n}\n"
	e, err := Start("s.go", []byte(src), Remote, out, Options{Limits: limits})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the set-up's stretch ends, the watchdog goes to sleep
	before := e.watchTicks.Load()
	time.Sleep(500 * time.Millisecond) // 20 ticks of 25 ms, were it awake
	if n := e.watchTicks.Load() - before; n > 2 {
		t.Errorf("the watchdog ticked %d times in 500 ms of idleness", n)
	}
	e.Dispatch(Batch{Traces: []*script.Trace{{Name: "x"}}})
	if reason := out.detachedReason(t); !strings.Contains(reason, `handler for "x" ran longer than 100ms`) {
		t.Fatalf("detached because %q", reason)
	}
	if e.Stop(within(t, 5*time.Second)) != nil {
		t.Fatal("Stop did not finish after the script was detached")
	}
}

// Traces that come one at a time, each in a stretch of its own, do not
// make the watchdog tick: woken by the stretch, it finds it over, or waits
// for its end, and sleeps on. (It used to tick twice after each, waking
// the traced process twice more per event.)
func TestWatchdogSleepsBetweenLoneTraces(t *testing.T) {
	out := &fakeOutput{}
	src := limitsHeader + "func Remote(traces *script.Traces) {\n" + `n := 0
	traces.On("x", func(t *script.Trace) { n++ })` + "\n}\n"
	e, err := Start("s.go", []byte(src), Remote, out, Options{Limits: limits}) // a tick of 25 ms
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop(within(t, 5*time.Second))
	time.Sleep(100 * time.Millisecond) // the set-up's stretch ends, the watchdog goes to sleep
	before := e.watchTicks.Load()
	const n = 20
	for range n {
		e.Dispatch(Batch{Traces: []*script.Trace{{Name: "x"}}})
		time.Sleep(60 * time.Millisecond) // more than two ticks
	}
	if ticks := e.watchTicks.Load() - before; ticks > n/4 {
		t.Errorf("the watchdog ticked %d times for %d lone traces", ticks, n)
	}
}

// Stretches shorter than a tick, further apart than one: the watchdog,
// woken by each, waits for its end and sleeps on, never ticking; the
// script's share of a CPU is still measured, and enforced.
func TestCPUShareOfSpacedStretches(t *testing.T) {
	out := &fakeOutput{}
	src := limitsHeader + "func Remote(traces *script.Traces) {\n" +
		`traces.On("x", func(t *script.Trace) { for s := time.Now(); time.Since(s) < 5*time.Millisecond; {} })` + "\n}\n"
	l := limits
	l.MaxCPU = 0.05 // the script takes some 5 ms in 40
	e, err := Start("s.go", []byte(src), Remote, out, Options{Limits: l})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(40 * time.Millisecond): // more than a tick (25 ms)
			}
			e.Dispatch(Batch{Traces: []*script.Trace{{Name: "x"}}})
		}
	}()
	started := time.Now()
	reason := out.detachedReason(t)
	close(stop)
	if !strings.Contains(reason, "of a CPU for 3s; the limit is 5%") {
		t.Fatalf("detached because %q", reason)
	}
	// Three windows of a second over the limit; a watchdog that measured
	// only when it happened to tick took several times that.
	if took := time.Since(started); took > 10*time.Second {
		t.Errorf("detached after %v", took)
	}
	if e.Stop(within(t, 5*time.Second)) != nil {
		t.Fatal("Stop did not finish after the script was detached")
	}
}
