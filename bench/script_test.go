package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/engine"
	"github.com/jstrace-go/jstrace/internal/match"
	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/script"
)

// BenchmarkScriptCall: one trace through a Remote handler, interpreted by
// yaegi, on the engine's goroutine, batches of 256 as the agent delivers
// them. The aggregate case does the same reduction with a native
// Aggregation; the native case is the handler compiled, for scale.
func BenchmarkScriptCall(b *testing.B) {
	rec := encodeRecord(b)
	const handler = `n, errors := 0, 0
	var total time.Duration
	traces.On("bench:call", func(t *script.Trace) { %s })
	traces.OnCleanup(func() { _, _, _ = n, errors, total })`
	cases := []struct{ name, remote string }{
		{"count", fmt.Sprintf(handler, `n++`)},
		{"two-getters", fmt.Sprintf(handler, `n++; total += t.Dur("duration"); if t.Int("status") >= 500 { errors++ }`)},
		// The same reduction (count, errors, total duration, and more: a
		// distribution per status) by a native Aggregation.
		{"aggregate", `reqs := traces.Aggregate("bench:call", script.Agg{By: "status", Of: "duration"})
	traces.OnCleanup(func() { _ = reqs.Take(); _ = time.Second })`},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			src := `package main

import (
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	` + tc.remote + `
}
`
			done := make(chan struct{}, 1)
			e, err := engine.Start("call.go", []byte(src), engine.Remote, discard{}, engine.Options{Block: true})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Stop(context.Background())
			batch := make([]*script.Trace, 256)
			for i := range batch {
				batch[i] = new(script.Trace)
				if err := scripthost.LoadTrace(batch[i], rec, scripthost.Origin{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for sent := 0; sent < b.N; sent += len(batch) {
				e.Dispatch(engine.Batch{Traces: batch[:min(len(batch), b.N-sent)]})
			}
			e.Do(func() { done <- struct{}{} }) // the queue is drained
			<-done
		})
	}
	// The aggregate script as the agent runs it: the Aggregation is fed by
	// the probe itself, so this is the whole per-event cost, paid by the
	// goroutine that fires the probe (encoding included).
	for _, parallel := range []bool{false, true} {
		name := "aggregate-in-probe"
		if parallel {
			name += "-parallel"
		}
		b.Run(name, func(b *testing.B) { benchAggregateInProbe(b, cases[2].remote, parallel, false) })
	}
	// The same through a real agent's session, attached over loopback by
	// the CLI's client: the agent's own per-event work included (it samples
	// one reduction in 64 to time it for the session's CPU budget), under
	// loopBudget; the script's count must be every event.
	b.Run("aggregate-in-agent", func(b *testing.B) {
		s := attachSession(b, 1, aggregateAgentScript, loopBudget)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			tpInProbe.Emit("id", i, "method", "GET", "path", "/users/7", "status", 200+i%2, "duration", time.Duration(i))
		}
		b.StopTimer()
		s.stopSawAll(b, b.N)
	})
	// Richer Aggs in the probe: keys of two fields, a predicate (half the
	// events pass it), both, and a linear histogram.
	for _, tc := range []struct{ name, agg string }{
		{"multikey", `script.Agg{By: "path,status", Of: "duration"}`},
		{"where", `script.Agg{By: "status", Of: "duration", Where: "status>=201"}`},
		{"multikey-where", `script.Agg{By: "path,status", Of: "duration", Where: "status>=201"}`},
		{"linear", `script.Agg{By: "status", Of: "duration", Hist: script.Linear(0, 1e6, 1e4)}`},
	} {
		remote := strings.Replace(cases[2].remote, `script.Agg{By: "status", Of: "duration"}`, tc.agg, 1)
		b.Run("aggregate-in-probe-"+tc.name, func(b *testing.B) { benchAggregateInProbe(b, remote, false, false) })
	}
	// An error in a field the aggregation does not read, as probes often
	// carry one.
	b.Run("aggregate-in-probe-err", func(b *testing.B) { benchAggregateInProbe(b, cases[2].remote, false, true) })
	b.Run("native-two-getters", func(b *testing.B) {
		t := new(script.Trace)
		scripthost.LoadTrace(t, rec, scripthost.Origin{})
		n, errors := 0, 0
		var total time.Duration
		handler := func(t *script.Trace) {
			n++
			total += t.Dur("duration")
			if t.Int("status") >= 500 {
				errors++
			}
		}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			handler(t)
		}
		_, _, _ = n, errors, total
	})
}

// errReset is an error a probe carries in a field the aggregation does
// not read.
var errReset = errors.New("connection reset by peer")

// benchAggregateInProbe feeds the Aggregation of remote from a probe with
// five fields (withErr: and an error), from one goroutine or every core.
func benchAggregateInProbe(b *testing.B, remote string, parallel, withErr bool) {
	src := "package main\n\nimport (\n\t\"time\"\n\n\t\"github.com/jstrace-go/jstrace/script\"\n)\n\nfunc Remote(traces *script.Traces) {\n\t" +
		strings.ReplaceAll(remote, "bench:call", "bench:in-probe") + "\n}\n"
	feed := func(pattern string, f scripthost.Feed) error {
		sub := jstrace.SubscribeFunc(func(n string) bool { return n == pattern }, f.Event)
		b.Cleanup(sub.Close)
		return nil
	}
	e, err := engine.Start("agg.go", []byte(src), engine.Remote, discard{}, engine.Options{Feed: feed})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Stop(context.Background())
	b.ReportAllocs()
	b.ResetTimer()
	if withErr {
		for i := 0; i < b.N; i++ {
			tpInProbe.Emit("id", i, "method", "GET", "path", "/users/7", "status", 200+i%2, "duration", time.Duration(i), "err", errReset)
		}
		return
	}
	if !parallel {
		for i := 0; i < b.N; i++ {
			tpInProbe.Emit("id", i, "method", "GET", "path", "/users/7", "status", 200+i%2, "duration", time.Duration(i))
		}
		return
	}
	u := getUsage(b)
	onEveryCore(b, func(n int) {
		for i := range n {
			tpInProbe.Emit("id", i, "method", "GET", "path", "/users/7", "status", 200+i%2, "duration", time.Duration(i))
		}
	})
	reportCPU(b, u) // the CPU an event with every core firing: issue 16's measure
}

var tpInProbe = jstrace.NewProbe("bench:in-probe")

// aggregateAgentScript is the aggregate case's Aggregation as a script an
// agent runs; its result line is rateScriptNative's (rateHandler.result).
const aggregateAgentScript = `package main

import "github.com/jstrace-go/jstrace/script"

func Remote(traces *script.Traces) {
	agg := traces.Aggregate("bench:in-probe", script.Agg{By: "status", Of: "duration"})
	traces.OnCleanup(func() {
		n := 0
		for _, g := range agg.Snapshot() {
			n += g.Count
		}
		var hist [1001]int
		traces.Log("rate", n, 0, hist[:])
	})
}
`

// encodeRecord is a request:end-like record, as a probe encodes it.
func encodeRecord(b *testing.B) []byte {
	sub := subscribeRaw(b, "bench:call")
	tpCall.Emit("id", 7, "method", "GET", "path", "/users/7", "status", 200, "duration", 1500*time.Microsecond)
	return firstRecord(b, sub)
}

// discard is an engine.Output that drops everything.
type discard struct{}

func (discard) Emit(string, []any)    {}
func (discard) Print(byte, string)    {}
func (discard) Fault(msg string)      { panic(msg) }
func (discard) Subscribed(*match.Set) {}
func (discard) Detach(reason string)  { panic(reason) }

var tpCall = jstrace.NewProbe("bench:call")

func subscribeRaw(b *testing.B, name string) *jstrace.Subscription {
	sub := jstrace.Subscribe(func(n string) bool { return n == name }, 0)
	b.Cleanup(sub.Close)
	return sub
}

func firstRecord(b *testing.B, sub *jstrace.Subscription) []byte {
	rec, _, err := protocol.NextRecord(sub.Read(nil))
	if err != nil {
		b.Fatal(err)
	}
	return rec
}
