package bench

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/engine"
	"github.com/jstrace-go/jstrace/internal/match"
	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/script"
)

// Agent → CLI throughput over loopback TCP. The agent and the CLI's end of
// the connection run in this process, the CLI's end decoding events as the
// CLI does. Each case runs flat out (how many events per second get through,
// and how many are dropped meanwhile: the probe never waits) and paced at
// the floor, where nothing may be lost. Run with -benchtime=1x.

const tpProbe = "bench:tp"

var tpp = jstrace.NewProbe(tpProbe)

const (
	rawScript = `package main

import "github.com/jstrace-go/jstrace/script"

func Local(traces *script.Traces) {}
`
	localScript = `package main

import (
	"fmt"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Local(traces *script.Traces) {
	n := 0
	traces.On("bench:tp", func(t *script.Trace) { n++ })
	traces.Every(20*time.Millisecond, func() { fmt.Println("count", n) })
	traces.OnCleanup(func() { fmt.Println("count", n) })
}
`
	remoteScript = `package main

import (
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	n := 0
	traces.On("bench:tp", func(t *script.Trace) { n++ })
	traces.Every(20*time.Millisecond, func() { traces.Log("count", n) })
	traces.OnCleanup(func() { traces.Log("count", n) })
}
`
)

// session is one agent and one CLI connection to it.
type session struct {
	a     *agent.Agent
	c     *client.Conn
	local *engine.Engine // the CLI's Local, if the case has one

	decoded atomic.Int64 // records decoded by the CLI's end
	counted atomic.Int64 // the last count a script reported
	stats   protocol.Stats
}

func startSession(b *testing.B, src string, localPatterns []string, withLocal bool) *session {
	b.Helper()
	quiet := slog.New(slog.DiscardHandler)
	a, err := agent.Listen(agent.Options{
		NoDiscovery: true, Logger: quiet, BufferSize: 16 << 20,
		// Flat out, the handlers are busy all the time: let them.
		Limits: agent.Limits{MaxCPU: 2, MaxEmitRate: 1 << 30},
	})
	if err != nil {
		b.Fatal(err)
	}
	s := &session{a: a}
	if withLocal {
		s.local, err = engine.Start("bench.go", []byte(src), engine.Local, (*localOutput)(s), engine.Options{Block: true, MaxPending: 8192})
		if err != nil {
			b.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.c, err = client.Dial(ctx, a.Addr().String(), client.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.c.Attach(&protocol.Attach{Name: "bench.go", Source: src, LocalPatterns: localPatterns}, s); err != nil {
		b.Fatal(err)
	}
	return s
}

// stop ends the session as the CLI does and returns the agent's counters.
func (s *session) stop(b *testing.B) {
	s.c.Stop()
	stats, err := s.c.Wait(30 * time.Second)
	if err != nil {
		b.Fatal(err)
	}
	s.stats = stats
	if s.local != nil {
		s.local.Stop(context.Background())
	}
	s.c.Close()
	s.a.Close()
}

// The client.Handler methods: the CLI's end.

func (s *session) Events(c *client.Conn, batch []byte) {
	var traces []*script.Trace
	n := 0
	for b := batch; len(b) > 0; n++ {
		rec, rest, err := protocol.NextRecord(b)
		if err != nil {
			panic(err)
		}
		if s.local != nil {
			t, err := scripthost.ParseTrace(rec, c.Origin)
			if err != nil {
				panic(err)
			}
			traces = append(traces, t)
		} else if _, err := protocol.ParseRecord(rec); err != nil {
			panic(err)
		}
		b = rest
	}
	s.decoded.Add(int64(n))
	if s.local != nil {
		s.local.Dispatch(engine.Batch{Traces: traces, Bytes: len(batch)})
	}
}

func (s *session) Console(c *client.Conn, m protocol.Console) { s.count(m.Text) }
func (s *session) Stats(*client.Conn, protocol.Stats)         {}

func (s *session) count(text string) {
	if n, ok := strings.CutPrefix(strings.TrimSpace(text), "count "); ok {
		v, _ := strconv.Atoi(n)
		s.counted.Store(int64(v))
	}
}

// localOutput is the engine.Output of the CLI's Local.
type localOutput session

func (o *localOutput) Emit(string, []any)             {}
func (o *localOutput) Print(stream byte, text string) { (*session)(o).count(text) }
func (o *localOutput) Fault(msg string)               { panic(msg) }
func (o *localOutput) Subscribed(*match.Set)          {}
func (o *localOutput) Detach(reason string)           { panic(reason) }

// produce fires n events, flat out or at rate events per second.
func produce(n int, rate float64) time.Duration {
	start := time.Now()
	const burst = 1000
	for i := 0; i < n; i++ {
		tpp.Emit("id", i, "method", "GET", "status", 200, "duration", time.Duration(i))
		if rate > 0 && i%burst == burst-1 {
			due := start.Add(time.Duration(float64(i+1) / rate * float64(time.Second)))
			for time.Now().Before(due) {
			}
		}
	}
	return time.Since(start)
}

// result of one throughput run.
type result struct {
	sent, got, dropped int64
	elapsed            time.Duration
}

func (r result) report(b *testing.B, rate float64) {
	if rate > 0 {
		b.ReportMetric(rate, "offered/s")
	} else {
		b.ReportMetric(float64(r.got)/r.elapsed.Seconds(), "events/s")
	}
	b.ReportMetric(float64(r.dropped), "dropped")
	b.ReportMetric(float64(r.sent-r.got-r.dropped), "unaccounted")
}

// run fires n events into a session and waits until it has handled them:
// until the count of handled events stops moving. The elapsed time ends at
// its last move.
func run(b *testing.B, src string, locals []string, withLocal bool, n int, rate float64, handled func(*session) int64) result {
	s := startSession(b, src, locals, withLocal)
	start := time.Now()
	produce(n, rate)
	last, lastMove := int64(-1), time.Now()
	for time.Since(lastMove) < 300*time.Millisecond {
		if h := handled(s); h != last {
			last, lastMove = h, time.Now()
		}
		time.Sleep(2 * time.Millisecond)
	}
	elapsed := lastMove.Sub(start)
	s.stop(b)
	return result{sent: int64(n), got: handled(s), dropped: int64(s.stats.Dropped + s.stats.HandlerDropped), elapsed: elapsed}
}

func BenchmarkThroughput(b *testing.B) {
	cases := []struct {
		name      string
		src       string
		locals    []string
		withLocal bool
		floor     float64 // events/s the issue asks for
		handled   func(*session) int64
	}{
		{"raw", rawScript, []string{tpProbe}, false, 2e6, func(s *session) int64 { return s.decoded.Load() }},
		{"local", localScript, []string{tpProbe}, true, 5e5, func(s *session) int64 { return s.counted.Load() }},
		{"remote", remoteScript, nil, false, 8e5, func(s *session) int64 { return s.counted.Load() }},
	}
	for _, tc := range cases {
		b.Run(tc.name+"/max", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				run(b, tc.src, tc.locals, tc.withLocal, 4_000_000, 0, tc.handled).report(b, 0)
			}
		})
		b.Run(tc.name+"/floor", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				r := run(b, tc.src, tc.locals, tc.withLocal, int(tc.floor), tc.floor, tc.handled)
				r.report(b, tc.floor)
				if r.dropped > 0 || r.got != r.sent {
					b.Logf("%s at %.0f events/s: %d of %d handled, %d dropped", tc.name, tc.floor, r.got, r.sent, r.dropped)
				}
			}
		})
	}
}
