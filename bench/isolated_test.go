package bench

import (
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/cpuclock"
)

// BenchmarkIsolatedEvent: what one event costs the goroutine that fires
// its probe when it comes alone, a gap after the last: issue 16's target
// 1 at low rates, where nothing of the event's path is left in the
// machine's caches. The figure is the median over the events of the
// firing thread's CPU clock read around Emit, less the median of the same
// two reads around nothing at the same gap (the reads themselves, ~1 µs
// of system calls). What the event meets:
//
//   - off: no session subscribes to its probe (the control);
//   - noop: a function subscriber that does nothing, the least any
//     in-process delivery does (SubscribeFunc);
//   - native: a session's native Aggregation, fed where the probe fires;
//   - compiled: BenchmarkHandlerRate's handler, compiled, run where the
//     probe fires;
//   - interpreted: the same handler interpreted.
//
// The gaps are slept: 1, 10 and 100 ms (1,000, 100 and 10 events a
// second, one at a time). "thrash" reads 128 MiB of other memory right
// before each event, and sleeps not at all: the data caches (the last
// level too, up to 64 MiB) and the TLB emptied, the time not passed.
func BenchmarkIsolatedEvent(b *testing.B) {
	noop := jstrace.NewProbe("bench:isolated-noop")
	sub := jstrace.SubscribeFunc(func(p string) bool { return p == "bench:isolated-noop" }, func(jstrace.Event) {})
	b.Cleanup(sub.Close)
	gaps := []struct {
		name string
		n    int // events
		wait func()
	}{
		{"gap=1ms", 300, func() { time.Sleep(time.Millisecond) }},
		{"gap=10ms", 100, func() { time.Sleep(10 * time.Millisecond) }},
		{"gap=100ms", 30, func() { time.Sleep(100 * time.Millisecond) }},
		{"thrash", 100, thrashCaches},
	}
	cases := []struct {
		name, src string // src: the session's script, if any
		probe     *jstrace.Probe
	}{
		{"off", "", rateOff},
		{"noop", "", noop},
		{"native", rateScriptNative, ratep},
		{"compiled", rateScript, ratep},
		{"interpreted", rateScriptInterpreted, ratep},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			fired := 0
			fire := func() {
				c.probe.Emit("id", 1, "method", "GET", "status", 200, "duration", time.Millisecond)
				fired++
			}
			if c.src != "" {
				// The session must have seen every event, attached to
				// the end: else a row would time a disabled probe.
				s := attachRateScript(b, 1, c.src)
				b.Cleanup(func() {
					if n, lat := s.stop(b); n+int(lat.dropped) != fired {
						b.Errorf("the session handled %d and dropped %d of %d events", n, lat.dropped, fired)
					}
				})
			}
			for _, g := range gaps {
				b.Run(g.name, func(b *testing.B) {
					for range b.N {
						clock := isolated(b, g.n, g.wait, func() {})
						took := isolated(b, g.n, g.wait, fire)
						b.ReportMetric(float64(took-clock)/1e3, "cpu-µs/event")
					}
				})
			}
		})
	}
}

// isolated runs f n times, each after wait, and returns the median of the
// thread's CPU time around f, the goroutine locked to its thread (else a
// preemption between the two reads would mix two threads' clocks).
func isolated(b *testing.B, n int, wait, f func()) time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	d := make([]time.Duration, 0, n)
	for range n {
		wait()
		t0, ok0 := cpuclock.Self()
		f()
		t1, ok1 := cpuclock.Self()
		if !ok0 || !ok1 {
			b.Skip("no thread CPU clock")
		}
		d = append(d, t1-t0)
	}
	slices.Sort(d)
	return d[len(d)/2]
}

// thrashMem is read by thrashCaches; it is written first, so that reading
// it faults no page in.
var thrashMem = sync.OnceValue(func() []byte {
	m := make([]byte, 128<<20)
	for i := range m {
		m[i] = 1
	}
	return m
})

// thrashCaches reads a byte of every line of thrashMem, four times this
// machine's last-level cache (32 MiB): the data caches and the TLB then
// hold it, not what an event's path reads.
func thrashCaches() {
	m := thrashMem()
	var s byte
	for i := 0; i < len(m); i += 64 {
		s += m[i]
	}
	sink = uint64(s)
}
