package bench

import (
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
)

//go:generate go run ./genwork -o work_gen_test.go

// BenchmarkProbeInService: a probe fired between stretches of a service's
// own work (serviceWork: ~60 KiB of code and reads over 1 MiB, more than
// a core's L1 caches hold, a few µs), as a busy service fires its probes
// at saturation: what an event costs there, found in L2 at best, and what
// it pushes out of the service's caches, where the benchmarks of a probe
// in a loop (aggregate-in-probe, …) find everything in L1. Each case is
// work and one event; "work-only" has no event. The difference from
// "off" (a probe nobody subscribes to) is what the event costs the
// service. A session's cases fail unless the script saw every event.
func BenchmarkProbeInService(b *testing.B) {
	inService := func(b *testing.B, p *jstrace.Probe) {
		x := uint64(1)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			x = serviceWork(x)
			if p != nil {
				p.Emit("id", i, "method", "GET", "path", "/users/7", "status", 200+i%2, "duration", time.Duration(x&0xffff))
			}
		}
		b.StopTimer()
		sink = x
	}
	b.Run("work-only", func(b *testing.B) { inService(b, nil) })
	b.Run("off", func(b *testing.B) { inService(b, rateOff) })
	b.Run("noop", func(b *testing.B) {
		p := jstrace.NewProbe("bench:in-service-noop")
		sub := jstrace.SubscribeFunc(func(n string) bool { return n == "bench:in-service-noop" }, func(jstrace.Event) {})
		defer sub.Close()
		inService(b, p)
	})
	session := func(script string, p *jstrace.Probe) func(b *testing.B) {
		return func(b *testing.B) {
			s := attachSession(b, 1, script, loopBudget)
			inService(b, p)
			s.stopSawAll(b, b.N)
		}
	}
	b.Run("aggregate-in-agent", session(aggregateAgentScript, tpInProbe))
	b.Run("compiled-handler", session(rateScript, ratep))
}
