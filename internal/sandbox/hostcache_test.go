package sandbox

import (
	"go/types"
	"runtime"
	"testing"
	"time"
	"weak"

	"github.com/jstrace-go/jstrace/internal/scripthost"
)

const cacheScript = `package main

import (
	"slices"
	"strconv"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	traces.Every(time.Second, func() {
		traces.Emit("n", "s", strconv.Itoa(slices.Index([]int{1}, 1)))
	})
}
`

// The host's types are shared by checks that overlap, and freed by the
// collector once no check holds them: a service that was traced once does
// not mark them at every collection for the rest of its life.
func TestHostCacheLivesWhileChecksHoldIt(t *testing.T) {
	h := currentHostCache()
	if err := Check("a.go", []byte(cacheScript)); err != nil {
		t.Fatal(err)
	}
	if currentHostCache() != h {
		t.Fatal("a check held the cache and another did not get the same one")
	}
	if len(h.generic.pkgs) == 0 || len(h.types.pkgs) == 0 {
		t.Fatalf("the check did not fill the cache it shared: %d generic packages, %d host packages", len(h.generic.pkgs), len(h.types.pkgs))
	}
	runtime.KeepAlive(h)
	h = nil
	runtime.GC()
	runtime.GC()
	if hostCaches.current.Value() != nil {
		t.Fatal("the host's types outlived every check that held them")
	}
	// A session's interpreter holds no cache when its script has no
	// compiled handler: nothing of the check outlives it.
	x, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := x.Compile("a.go", []byte(cacheScript))
	if err != nil {
		t.Fatalf("a check after the cache was freed: %v", err)
	}
	runtime.GC()
	runtime.GC()
	if hostCaches.current.Value() != nil {
		t.Fatal("an interpreter without compiled handlers kept the host's types")
	}
	runtime.KeepAlive(x)
	runtime.KeepAlive(p)
}

const handlerScript = `package main

import "github.com/jstrace-go/jstrace/script"

func Remote(traces *script.Traces) {
	n := 0
	traces.On("a:b", func(t *script.Trace) { n += t.Int("v") })
	traces.OnCleanup(func() { _ = n })
}
`

// Compiling handlers needs their check's types, and so the cache they came
// from: until the script's entry point has run, the interpreter holds it,
// so that a session attached meanwhile shares it instead of building a
// copy beside it, and lets it go with itself.
func TestHostCacheSharedWithCompiledHandlers(t *testing.T) {
	x, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.Compile("h.go", []byte(handlerScript)); err != nil {
		t.Fatal(err)
	}
	if x.host == nil {
		t.Fatal("the handler was not compiled, or its interpreter holds no cache")
	}
	runtime.GC()
	runtime.GC()
	if h := currentHostCache(); h != x.host {
		t.Fatal("a check while compiled handlers live got a cache of its own")
	}
	x = nil
	runtime.GC()
	runtime.GC()
	if hostCaches.current.Value() != nil {
		t.Fatal("the host's types outlived the interpreter that held them")
	}
}

const settleScript = `package main

import "github.com/jstrace-go/jstrace/script"

var n int

func count(traces *script.Traces) { traces.On("x", func(t *script.Trace) { n += t.Int("v") }) }

func Remote(traces *script.Traces) { count(traces) }

func Local(traces *script.Traces) {
	count(traces)
	traces.OnCleanup(func() { traces.Log(n) })
}
`

// Once the script's entry point has run, its compiled handlers keep
// nothing of the check: the host's types are freed while the session
// lasts, and a handler registered afterwards runs interpreted, with the
// same effect.
func TestHostCacheReleasedOnceEntryRan(t *testing.T) {
	x, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := x.Load("s.go", []byte(settleScript))
	if err != nil {
		t.Fatal(err)
	}
	h := &recordingHost{}
	pkg := weak.Make(x.host.types.pkgs[ScriptPackage]) // compiled code holding a go/types object would keep all
	s.Remote(scripthost.NewTraces(h))
	if x.CompiledHandlers() != 1 || x.host != nil {
		t.Fatalf("%d handlers compiled, cache held %v; want 1, none", x.CompiledHandlers(), x.host != nil)
	}
	runtime.GC()
	runtime.GC()
	if hostCaches.current.Value() != nil || pkg.Value() != nil {
		t.Error("the host's types outlived the script's entry point")
	}
	s.Local(scripthost.NewTraces(h)) // registers the same handler again, interpreted
	if x.CompiledHandlers() != 1 || len(h.handlers) != 2 {
		t.Fatalf("%d handlers compiled of %d; want 1 of 2", x.CompiledHandlers(), len(h.handlers))
	}
	for i := 1; i <= 3; i++ {
		tr := traceWith(t, "v", i)
		h.handlers[0](tr)
		h.handlers[1](tr)
	}
	h.out.Reset()
	for _, f := range h.cleanups {
		f()
	}
	if got := h.out.String(); got != "[1] 12\n" {
		t.Errorf("the handlers counted %q, want 12 from both", got)
	}
	runtime.KeepAlive(x)
}

// typesScript is the host-impact harness's handler script (bench/overhead)
// and more: variables of host types (time.Duration, time.Time), a shared
// map, getters, a callback.
const typesScript = `package main

import (
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	n, errors := 0, 0
	var total time.Duration
	var last time.Time
	byStatus := map[int]time.Duration{}
	traces.On("request:end", func(t *script.Trace) {
		n++
		total += t.Dur("duration")
		if t.Int("status") >= 500 {
			errors++
		}
		last = t.Time
		byStatus[t.Int("status")] += t.Dur("duration")
	})
	traces.Every(time.Second, func() {
		traces.Emit("summary", "n", n, "errors", errors, "total", total, "last", last, "codes", len(byStatus))
		n, errors, total = 0, 0, 0
	})
}
`

// A compiled handler keeps no go/types object of its check: a variable's
// type is a package's (time.Duration), whose scope reaches every object of
// every package the check imported, ~200 KiB the collector would mark for
// the session's life.
func TestCompiledHandlersKeepNoTypes(t *testing.T) {
	x, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := x.Load("h.go", []byte(typesScript))
	if err != nil {
		t.Fatal(err)
	}
	if x.host == nil {
		t.Fatal("the handler was not compiled")
	}
	var pkgs []weak.Pointer[types.Package]
	for _, p := range x.host.types.pkgs {
		pkgs = append(pkgs, weak.Make(p))
	}
	h := &recordingHost{}
	s.Remote(scripthost.NewTraces(h))
	if x.CompiledHandlers() != 1 {
		t.Fatalf("%d handlers compiled, want 1", x.CompiledHandlers())
	}
	runtime.GC()
	runtime.GC()
	for _, p := range pkgs {
		if p := p.Value(); p != nil {
			t.Errorf("package %s's types outlived the script's entry point", p.Path())
		}
	}
	h.handlers[0](traceWith(t, "duration", time.Millisecond, "status", 200))
	runtime.KeepAlive(x)
	runtime.KeepAlive(h)
}
