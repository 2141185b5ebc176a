package engine

import (
	"runtime"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

const busySrc = `package main

import (
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	traces.On("work", func(t *script.Trace) {
		start := time.Now()
		for time.Since(start) < 50*time.Microsecond {
		}
		traces.Emit("done")
	})
}
`

// A long batch of handler calls lets the service's goroutines run within a
// few calls, even with a single P: otherwise requests would wait for the
// whole batch (here 100 calls of 50 µs, 5 ms) behind the engine.
func TestLongBatchYields(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	out := &fakeOutput{}
	e, err := Start("busy.go", []byte(busySrc), Remote, out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { e.Stop(within(t, 5*time.Second)) }()
	calls := func() int {
		out.mu.Lock()
		defer out.mu.Unlock()
		return len(out.emits)
	}
	var b Batch
	for range 100 {
		b.Traces = append(b.Traces, &script.Trace{Name: "work"})
	}
	if err := e.Dispatch(b); err != nil {
		t.Fatal(err)
	}
	// A goroutine of the "service", runnable while the batch runs.
	seen := make(chan int)
	go func() {
		for calls() == 0 {
			runtime.Gosched()
		}
		runtime.Gosched() // now the engine is in the batch
		seen <- calls()
	}()
	if n := <-seen; n >= 50 {
		t.Errorf("the service's goroutine ran after %d of 100 calls of 50 µs", n)
	} else {
		t.Logf("the service's goroutine ran after %d of 100 calls of 50 µs", n)
	}
}
