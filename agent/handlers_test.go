package agent_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// The handler checks that each goroutine's events come in the order it
// fired them, and reports what it saw at the end.
const orderScript = `package main

import "github.com/jstrace-go/jstrace/script"

var last = map[string]int{}
var n, bad int

func Remote(traces *script.Traces) {
	traces.On("order:*", func(t *script.Trace) {
		n++
		g := t.Str("g")
		if i := t.Int("i"); i != last[g]+1 {
			bad++
		}
		last[g] = t.Int("i")
	})
	traces.OnCleanup(func() { traces.Emit("result", "n", n, "bad", bad) })
}
`

// Events from many goroutines at once, some handled where they fire and
// some queued when the script is busy: each reaches the handler once, and
// each goroutine's in the order it fired them.
func TestHandlersInlineAndQueuedKeepOrder(t *testing.T) {
	a := start(t, agent.Options{})
	c := dial(t, a, "")
	rec := newRecorder()
	if _, err := c.Attach(&protocol.Attach{Name: "order.go", Source: orderScript}, rec); err != nil {
		t.Fatal(err)
	}
	p := jstrace.NewProbe("order:fire")
	const goroutines, each, burst = 8, 3000, 50
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprint("g", g)
			for i := 1; i <= each; i++ {
				p.Emit("g", name, "i", i)
				if i%burst == 0 {
					time.Sleep(time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	c.Stop()
	stats, err := c.Wait(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.traces) != 1 || rec.traces[0].Name != "result" {
		t.Fatalf("got %d traces, want the script's result", len(rec.traces))
	}
	n, bad := rec.traces[0].Int("n"), rec.traces[0].Int("bad")
	if stats.Dropped != 0 || stats.HandlerDropped != 0 {
		t.Skipf("events dropped (%d, %d): the machine is too slow for this test", stats.Dropped, stats.HandlerDropped)
	}
	if n != goroutines*each || bad != 0 {
		t.Errorf("the handler saw %d events, %d out of order; want %d, none", n, bad, goroutines*each)
	}
}
