package sandbox

import (
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/scripthost"
)

// everyHost is recordingHost keeping the Every callbacks.
type everyHost struct {
	recordingHost
	every []func()
}

func (h *everyHost) Every(d time.Duration, fn func()) { h.every = append(h.every, fn) }

// An Every callback that is bounded and compiles runs as compiled code,
// sharing Remote's variables with the handlers as the interpreted one
// does: the two print and emit the same, tick after tick; so does one
// that loops (every_loop_test.go has more). CompiledCallbacks counts the
// handler and the compiled callbacks; CompiledHandlers, the handler
// alone.
func TestEveryCompiled(t *testing.T) {
	const src = `package main

import (
	"fmt"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func label(n int) string {
	if n > 2 {
		return "many"
	}
	return fmt.Sprint(n)
}

func Remote(traces *script.Traces) {
	n, errors := 0, 0
	var total time.Duration
	traces.On("req", func(t *script.Trace) {
		n++
		total += t.Dur("d")
		if t.Int("status") >= 500 {
			errors++
		}
	})
	traces.Every(time.Second, func() {
		traces.Emit("summary", "n", n, "errors", errors, "total", total)
		fmt.Println(label(n), total)
		n, errors, total = 0, 0, 0
	})
	traces.Every(time.Minute, func() {
		for i := 0; i < 2; i++ {
			errors++
		}
	})
}
`
	run := func(compile bool) (string, *Interp) {
		h := &everyHost{}
		x, err := New(Options{Stdout: &h.out})
		if err != nil {
			t.Fatal(err)
		}
		x.noCompile = !compile
		s, err := x.Load("e.go", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		s.Remote(scripthost.NewTraces(h))
		if len(h.handlers) != 1 || len(h.every) != 2 {
			t.Fatalf("%d handlers, %d Every callbacks", len(h.handlers), len(h.every))
		}
		for round := 1; round <= 3; round++ {
			for i := 0; i < round; i++ {
				h.handlers[0](traceWith(t, "d", time.Duration(i+1)*time.Millisecond, "status", 200+150*i))
			}
			h.every[1]()
			h.every[0]()
		}
		return h.out.String(), x
	}
	interpreted, xi := run(false)
	compiled, xc := run(true)
	if compiled != interpreted {
		t.Errorf("compiled:\n%s\ninterpreted:\n%s", compiled, interpreted)
	}
	if !strings.Contains(compiled, "emit summary [n 3 errors 3 total 6ms]") {
		t.Errorf("output:\n%s", compiled)
	}
	if xi.CompiledCallbacks() != 0 || xc.CompiledCallbacks() != 3 || xc.CompiledHandlers() != 1 {
		t.Errorf("compiled callbacks %d (interpreted), %d (compiled), handlers %d; want 0, 3, 1", xi.CompiledCallbacks(), xc.CompiledCallbacks(), xc.CompiledHandlers())
	}
}
