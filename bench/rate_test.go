package bench

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/cpuclock"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// BenchmarkHandlerRate: what an interpreted per-event Remote handler costs
// the traced process at a steady rate of events, from 10 to 100,000 a
// second. A real agent runs a real session (attached over loopback TCP by
// the CLI's client, with the CLI's default flags and the agent's default
// limits); a goroutine fires a probe at random times at the rate (see
// pace); 500/s is the rate of the issue that asked for this. The measure is the
// process's getrusage (user+system CPU, context switches: all, and
// voluntary) over each window: with the session attached, windows that
// fire a probe nobody subscribes to (the control) alternate with windows
// that fire the handler's, rateRounds of each; the median of the rounds'
// differences per event is what an event through the handler costs.
// Everything it causes is in it: the pump, the handler, the engine's
// watchdog, the CLI's end of the connection (in this process too, idle:
// the handler sends nothing). What the session costs per second whether
// or not events come (its periodic work) is the idle case: alternating
// windows without a session and with an idle one. Latency is from the
// probe's timestamp to the handler's time.Since(t.Time), recorded by the
// script itself (every event up to 1,000/s, every 16th above), in 100-µs
// buckets (p50 and p99 are bucket upper bounds; max is exact).
// Run with -benchtime=1x; about 5 minutes in all.
func BenchmarkHandlerRate(b *testing.B) {
	// A session that receives no event: its cost per second.
	b.Run("idle", func(b *testing.B) { benchRate(b, 0, rateScript) })
	for _, rate := range rates {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) { benchRate(b, rate, rateScript) })
	}
}

var rates = []int{10, 100, 500, 1000, 10000, 100000}

// BenchmarkHandlerRateNative: the same sweep with a native Aggregation in
// place of the handler (fed where the probe fires, no script code run an
// event): what an event costs the process when the least is done with it,
// the reference for the handler's figures at each rate.
func BenchmarkHandlerRateNative(b *testing.B) {
	for _, rate := range rates {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) { benchRate(b, rate, rateScriptNative) })
	}
}

const rateProbe = "bench:rate"

var (
	ratep   = jstrace.NewProbe(rateProbe)
	rateOff = jstrace.NewProbe("bench:rate-off") // the control: no session subscribes to it
)

// The handler counts, and records the latency of every every-th event in
// 100-µs buckets (the last, 100 ms and over) and its maximum.
const rateScript = `package main

import (
	"strconv"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	every, _ := strconv.Atoi(traces.Args()[0])
	n := 0
	var hist [1001]int
	var worst time.Duration
	traces.On("bench:rate", func(t *script.Trace) {
		n++
		if n%every != 0 {
			return
		}
		d := time.Since(t.Time)
		if d > worst {
			worst = d
		}
		i := int(d / (100 * time.Microsecond))
		if i > 1000 {
			i = 1000
		}
		hist[i]++
	})
	traces.OnCleanup(func() { traces.Log("rate", n, int64(worst), hist[:]) })
}
`

// rateScriptNative counts and aggregates the events' durations natively;
// its result line is rateScript's, every event in the first bucket (an
// aggregation is fed before the probe returns).
const rateScriptNative = `package main

import "github.com/jstrace-go/jstrace/script"

func Remote(traces *script.Traces) {
	agg := traces.Aggregate("bench:rate", script.Agg{Of: "duration"})
	traces.OnCleanup(func() {
		n := 0
		for _, g := range agg.Snapshot() {
			n += g.Count
		}
		var hist [1001]int
		hist[0] = n
		traces.Log("rate", n, 0, hist[:])
	})
}
`

type usage struct {
	cpu     time.Duration
	cs, vcs int64         // context switches: all, voluntary
	inEmit  time.Duration // the probe's goroutine's CPU in Emit (pace)
}

func getUsage(b testing.TB) usage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return usage{
		cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		cs:  ru.Nvcsw + ru.Nivcsw,
		vcs: ru.Nvcsw,
	}
}

// pace fires events of probe p for d, at random times at rate events a
// second on average (a Poisson process: independent arrivals, as requests
// come to a service; the same times in every window of a rate), and
// returns how many it fired and, up to timedRate, the CPU time of the
// calls to Emit: its thread's clock, read around each, what the probe's
// own goroutine spent (an inline handler included) where the process's
// usage is noisy, at low rates. Above, two reads an event (a system call
// each) would change what is measured, and a goroutine preempted in Emit
// charges it what its thread ran meanwhile. Events due while it slept
// fire when it wakes.
func pace(p *jstrace.Probe, rate int, d time.Duration) (int, time.Duration) {
	if rate == 0 {
		time.Sleep(d)
		return 0, 0
	}
	var inEmit time.Duration
	rng := rand.New(rand.NewPCG(1, uint64(rate)))
	start := time.Now()
	var due time.Duration
	for n := 0; ; n++ {
		due += time.Duration(rng.ExpFloat64() / float64(rate) * float64(time.Second))
		if due > d {
			return n, inEmit
		}
		if wait := due - time.Since(start); wait > 0 {
			time.Sleep(wait)
		}
		if rate > timedRate {
			p.Emit("id", n, "method", "GET", "status", 200, "duration", time.Duration(n))
			continue
		}
		t0, _ := cpuclock.Self()
		p.Emit("id", n, "method", "GET", "status", 200, "duration", time.Duration(n))
		t1, _ := cpuclock.Self()
		inEmit += t1 - t0
	}
}

// timedRate is the highest rate at which pace times each Emit.
const timedRate = 1000

// window paces probe p at rate for d and returns the usage of the process
// meanwhile, and until settle after the last event (so that the handlers'
// work for the last events counts too).
func window(b *testing.B, p *jstrace.Probe, rate int, d time.Duration) (usage, int) {
	const settle = 30 * time.Millisecond // > the pump's gather
	u0 := getUsage(b)
	n, inEmit := pace(p, rate, d)
	time.Sleep(settle)
	u1 := getUsage(b)
	return usage{cpu: u1.cpu - u0.cpu, cs: u1.cs - u0.cs, vcs: u1.vcs - u0.vcs, inEmit: inEmit}, n
}

// rateRounds is how many control and traced windows alternate.
const rateRounds = 6

// rateSession is an agent and the CLI's end of a session on it.
type rateSession struct {
	a *agent.Agent
	c *client.Conn
	h *rateHandler
}

func attachRate(b testing.TB, every int) *rateSession {
	return attachRateScript(b, every, rateScript)
}

// rateScriptInterpreted is rateScript with its bucket shifted by 0, a
// shift being what bounded handlers may have and compiled ones may not
// (docs/scripts.md, "Where handlers run"): the handler is interpreted
// where its probe fires.
var rateScriptInterpreted = strings.Replace(rateScript, "hist[i]++", "hist[i<<0]++", 1)

func attachRateScript(b testing.TB, every int, src string) *rateSession {
	return attachSession(b, every, src, agent.Options{})
}

// attachSession is attachRateScript with an agent of opts (its discovery
// off and its log discarded).
func attachSession(b testing.TB, every int, src string, opts agent.Options) *rateSession {
	opts.NoDiscovery, opts.Logger = true, slog.New(slog.DiscardHandler)
	a, err := agent.Listen(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() }) // if a step below fails (Close is idempotent)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, a.Addr().String(), client.Options{})
	if err != nil {
		b.Fatal(err)
	}
	s := &rateSession{a: a, c: c, h: &rateHandler{}}
	att := &protocol.Attach{Name: "rate.go", Source: src, Args: []string{strconv.Itoa(every)},
		Flags: protocol.AttachWarnings | protocol.AttachGroups} // the CLI's defaults
	if _, err := c.Attach(att, s.h); err != nil {
		c.Close()
		b.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the session settles
	return s
}

// loopBudget is the CPU budget of the sessions benchmarks feed from a loop
// of probes: the loop is all reductions, past the default budget (half a
// CPU), and the agent would detach the session within seconds, leaving
// the rest of the loop to time disabled probes.
var loopBudget = agent.Options{Limits: agent.Limits{MaxCPU: 2}, Totals: agent.Totals{MaxCPU: 2}}

// stopSawAll ends the session and fails unless its script saw every one
// of the fired events, none dropped.
func (s *rateSession) stopSawAll(b *testing.B, fired int) {
	if n, lat := s.stop(b); n != fired || lat.dropped != 0 {
		b.Fatalf("the script saw %d and dropped %d of %d events", n, lat.dropped, fired)
	}
}

// stop ends the session and returns what the script handled and the
// latencies it saw.
func (s *rateSession) stop(b *testing.B) (int, latencies) {
	defer s.a.Close()
	defer s.c.Close()
	s.c.Stop()
	stats, err := s.c.Wait(30 * time.Second)
	if err != nil {
		b.Fatal(err)
	}
	n, lat := s.h.result(b)
	lat.dropped = stats.Dropped + stats.HandlerDropped
	if stats.Detached != "" {
		b.Fatalf("the script was detached: %s", stats.Detached)
	}
	return n, lat
}

func median(v []float64) float64 {
	slices.Sort(v)
	if len(v)%2 == 0 {
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return v[len(v)/2]
}

// benchIdle: what a session that receives no event costs the process per
// second, against no session, in alternating windows.
func benchIdle(b *testing.B) {
	const d = 2 * time.Second
	var cpu, cs, vcs []float64
	for range rateRounds {
		base, _ := window(b, nil, 0, d)
		s := attachRate(b, 1)
		traced, _ := window(b, nil, 0, d)
		s.stop(b)
		cpu = append(cpu, float64(traced.cpu-base.cpu)/1e3/d.Seconds())
		cs = append(cs, float64(traced.cs-base.cs)/d.Seconds())
		vcs = append(vcs, float64(traced.vcs-base.vcs)/d.Seconds())
	}
	b.ReportMetric(median(cpu), "cpu-µs/s")
	b.ReportMetric(median(cs), "cs/s")
	b.ReportMetric(median(vcs), "vcs/s")
}

// benchRate: the session stays attached; windows firing a probe nobody
// subscribes to (the control) alternate with windows firing the handler's.
// The differences are the cost of an event through the handler, beside
// which the session's own cost (benchIdle) is fixed per second.
func benchRate(b *testing.B, rate int, src string) {
	if rate == 0 {
		benchIdle(b)
		return
	}
	d := time.Second
	if rate <= 10 {
		d = 3 * time.Second
	}
	every := 1
	if rate > 1000 {
		every = 16
	}
	s := attachRateScript(b, every, src)
	var cpu, cs, vcs, inProbe []float64
	fired := 0
	for range rateRounds {
		base, nb := window(b, rateOff, rate, d)
		traced, n := window(b, ratep, rate, d)
		fired += n
		perEvent := func(t, b int64) float64 { return (float64(t) - float64(b)*float64(n)/float64(nb)) / float64(n) }
		cpu = append(cpu, perEvent(int64(traced.cpu), int64(base.cpu))/1e3)
		cs = append(cs, perEvent(traced.cs, base.cs))
		vcs = append(vcs, perEvent(traced.vcs, base.vcs))
		inProbe = append(inProbe, (float64(traced.inEmit)/float64(n)-float64(base.inEmit)/float64(nb))/1e3)
	}
	got, lat := s.stop(b)
	if got+int(lat.dropped) != fired {
		b.Fatalf("handled %d and dropped %d of %d events", got, lat.dropped, fired)
	}
	b.ReportMetric(median(cpu), "cpu-µs/event")
	b.ReportMetric(median(cs), "cs/event")
	b.ReportMetric(median(vcs), "vcs/event")
	if rate <= timedRate {
		b.ReportMetric(median(inProbe), "in-probe-cpu-µs/event")
	}
	b.ReportMetric(lat.p50.Seconds()*1e3, "p50-ms")
	b.ReportMetric(lat.p99.Seconds()*1e3, "p99-ms")
	b.ReportMetric(lat.max.Seconds()*1e3, "max-ms")
	b.ReportMetric(float64(lat.dropped)/float64(fired), "dropped/event")
}

// rateHandler is the CLI's end: it keeps what the script logged.
type rateHandler struct {
	mu   sync.Mutex
	text strings.Builder
}

func (h *rateHandler) Events(*client.Conn, []byte)        {}
func (h *rateHandler) Stats(*client.Conn, protocol.Stats) {}
func (h *rateHandler) Console(_ *client.Conn, m protocol.Console) {
	h.mu.Lock()
	h.text.WriteString(m.Text)
	h.mu.Unlock()
}

type latencies struct {
	p50, p99, max time.Duration
	dropped       uint64 // events dropped: the buffer or the handlers' queue was full
}

// result parses the script's "rate n worst [hist...]" line.
func (h *rateHandler) result(b *testing.B) (int, latencies) {
	h.mu.Lock()
	text := h.text.String()
	h.mu.Unlock()
	i := strings.Index(text, "rate ")
	if i < 0 {
		b.Fatalf("no result from the script: %q", text)
	}
	line, _, _ := strings.Cut(text[i:], "\n")
	line = strings.NewReplacer("[", "", "]", "").Replace(line)
	f := strings.Fields(line)
	if len(f) != 3+1001 {
		b.Fatalf("bad result line (%d fields): %.200q", len(f), line)
	}
	n, _ := strconv.Atoi(f[1])
	worst, _ := strconv.ParseInt(f[2], 10, 64)
	hist := make([]int, 0, 1001)
	total := 0
	for _, s := range f[3:] {
		v, _ := strconv.Atoi(s)
		hist = append(hist, v)
		total += v
	}
	quantile := func(q float64) time.Duration {
		want := int(q*float64(total) + 0.5)
		sum := 0
		for i, v := range hist {
			if sum += v; sum >= max(want, 1) {
				return time.Duration(i+1) * 100 * time.Microsecond // the bucket's upper bound
			}
		}
		return time.Duration(len(hist)) * 100 * time.Microsecond
	}
	return n, latencies{p50: quantile(0.5), p99: quantile(0.99), max: time.Duration(worst)}
}

// BenchmarkHandlerInProbe: one event through BenchmarkHandlerRate's
// handler (which ends by construction, so the agent runs it where its
// probe fires when nothing is queued, and compiles to Go closures), fired
// in a loop by one goroutine: the whole cost, encoding and the trace's
// copy included, paid by the goroutine that fires the probe.
func BenchmarkHandlerInProbe(b *testing.B) { handlerInProbe(b, rateScript) }

// BenchmarkHandlerInProbeInterpreted: the same with the handler
// interpreted where its probe fires (it has a shift, which compiled
// handlers lack): the cost before handlers were compiled.
func BenchmarkHandlerInProbeInterpreted(b *testing.B) { handlerInProbe(b, rateScriptInterpreted) }

func handlerInProbe(b *testing.B, src string) {
	// A loop of probes is all handler calls: past the default CPU budget
	// at -benchtime 2s and more, which detached the session.
	s := attachSession(b, 1, src, loopBudget)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ratep.Emit("id", i, "method", "GET", "status", 200, "duration", time.Duration(i))
	}
	b.StopTimer()
	// The engine is idle between events: every one is handled where it
	// fires, none queued, none dropped (a drop means the queue was used).
	if n, lat := s.stop(b); n != b.N || lat.dropped != 0 {
		b.Fatalf("handled %d and dropped %d of %d events", n, lat.dropped, b.N)
	}
}
