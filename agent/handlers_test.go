package agent_test

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/script"
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
	r, stats := result(t, c, rec)
	n, bad := r.Int("n"), r.Int("bad")
	if stats.Dropped != 0 || stats.HandlerDropped != 0 {
		t.Skipf("events dropped (%d, %d): the machine is too slow for this test", stats.Dropped, stats.HandlerDropped)
	}
	if n != goroutines*each || bad != 0 {
		t.Errorf("the handler saw %d events, %d out of order; want %d, none", n, bad, goroutines*each)
	}
}

// result stops the session of c and returns the one trace it sent, the
// script's "result", and the session's stats.
func result(t *testing.T, c *client.Conn, rec *recorder) (*script.Trace, protocol.Stats) {
	t.Helper()
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
	return rec.traces[0], stats
}

// Compiled handlers run where their probes fire: one only reads its
// trace, and is lent the same one every time (no memory an event); the
// other keeps it, and gets one of its own, as does one that only reads
// beside it.
const lendScript = `package main

import "github.com/jstrace-go/jstrace/script"

var reads, sum, keeps, bad int
var last *script.Trace

func Remote(traces *script.Traces) {
	traces.On("lend:read", func(t *script.Trace) {
		reads++
		sum += t.Int("i")
	})
	traces.On("lend:keep", func(t *script.Trace) {
		if keeps > 0 && t.Int("i") != last.Int("i")+1 {
			bad++
		}
		keeps++
		last = t
	})
	traces.On("lend:keep", func(t *script.Trace) { sum -= t.Int("i") }) // reads only, beside one that keeps
	traces.OnCleanup(func() { traces.Emit("result", "reads", reads, "sum", sum, "keeps", keeps, "bad", bad) })
}
`

func TestInlineHandlersBorrowWhatTheyOnlyRead(t *testing.T) {
	a := start(t, agent.Options{})
	c := dial(t, a, "")
	rec := newRecorder()
	if _, err := c.Attach(&protocol.Attach{Name: "lend.go", Source: lendScript}, rec); err != nil {
		t.Fatal(err)
	}
	read, keep := jstrace.NewProbe("lend:read"), jstrace.NewProbe("lend:keep")
	if !read.Enabled() || !keep.Enabled() {
		t.Fatal("the probes are not enabled once attached")
	}
	const n = 20000
	for i := 1; i <= 1000; i++ { // warm up: the handlers' first calls
		read.Emit("i", 0)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 1; i <= n; i++ {
		read.Emit("i", i)
	}
	runtime.ReadMemStats(&after)
	for i := 1; i <= n; i++ {
		keep.Emit("i", i)
	}
	r, stats := result(t, c, rec)
	if stats.Dropped != 0 || stats.HandlerDropped != 0 {
		t.Fatalf("events dropped (%d, %d)", stats.Dropped, stats.HandlerDropped)
	}
	if r.Int("reads") != 1000+n || r.Int("sum") != 0 || r.Int("keeps") != n || r.Int("bad") != 0 {
		t.Errorf("result reads %d sum %d keeps %d bad %d; want %d, 0, %d, 0", r.Int("reads"), r.Int("sum"), r.Int("keeps"), r.Int("bad"), 1000+n, n)
	}
	// The reads allocated nothing an event (168 bytes each before they
	// borrowed): what the process allocated meanwhile is the agent's own
	// background work.
	if perEvent := float64(after.TotalAlloc-before.TotalAlloc) / n; perEvent > 16 {
		t.Errorf("%.1f bytes allocated an event read where it fired, want none", perEvent)
	}
}
