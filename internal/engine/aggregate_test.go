package engine

import (
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost"
)

const aggSrc = `package main

import (
	"fmt"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	reqs := traces.Aggregate("request:end", script.Agg{By: "status", Of: "duration"})
	traces.On("request:end", func(t *script.Trace) {}) // a handler on the same probe also runs
	traces.OnCleanup(func() {
		for _, g := range reqs.Take() {
			fmt.Println(g.Key, g.Count, time.Duration(g.Quantile(0.5)), time.Duration(g.Max))
		}
		fmt.Println("missing", reqs.Missing(), "dropped", reqs.Dropped())
	})
}
`

// An Aggregation made by an interpreted script is fed natively by the
// engine, and its results read back by script code.
func TestAggregateFromScript(t *testing.T) {
	out := &fakeOutput{}
	e, err := Start("agg.go", []byte(aggSrc), Remote, out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !e.Wants("request:end") || e.Wants("request:start") {
		t.Errorf("patterns %v", e.Patterns())
	}
	sub := jstrace.Subscribe(func(string) bool { return true }, 1<<20)
	defer sub.Close()
	for i := range 100 {
		sub.Emit("request:end", "status", 200+300*(i%2), "duration", time.Duration(i+1)*time.Millisecond)
	}
	sub.Emit("request:end", "status", 200)
	var batch Batch
	for b := sub.Read(nil); len(b) > 0; {
		rec, rest, err := protocol.NextRecord(b)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := scripthost.ParseTrace(rec, scripthost.Origin{})
		if err != nil {
			t.Fatal(err)
		}
		tr.Name = "request:end" // emitted records carry the name as given
		batch.Traces = append(batch.Traces, tr)
		b = rest
	}
	if err := e.Dispatch(batch); err != nil {
		t.Fatal(err)
	}
	if e.Stop(within(t, 5*time.Second)) != nil {
		t.Fatal("Stop timed out")
	}
	out.mu.Lock()
	defer out.mu.Unlock()
	// Status 200: 1, 3, …, 99 ms, median 49 ms; 500: 2, 4, …, 100 ms,
	// median 50 ms. Both fall in the bucket [2^25×(1+7/16), 2^25×(1+8/16))
	// ns, whose middle is reported.
	want := "200 50 49.283072ms 99ms\n500 50 49.283072ms 100ms\nmissing 1 dropped 0\n"
	if got := out.printed.String(); got != want {
		t.Errorf("printed\n%s\nwant\n%s", got, want)
	}
	if len(out.faults) != 0 {
		t.Errorf("faults %v", out.faults)
	}
}
