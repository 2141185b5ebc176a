package bench

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/cpuclock"
)

// The cost of a probe at its call site, next to what a Go user would
// otherwise put there. Every case passes non-constant values, the way real
// call sites do. Keep these names stable: they are how progress is tracked.

var (
	on       atomic.Bool
	disabled = jstrace.NewProbe("bench:disabled")
)

// BenchmarkDisabled: nobody is tracing.
func BenchmarkDisabled(b *testing.B) {
	id, method := 0, "GET"
	b.Run("atomic-bool", func(b *testing.B) { // the floor
		for i := 0; i < b.N; i++ {
			id++
			if on.Load() {
				b.Fatal("on")
			}
		}
	})
	b.Run("jstrace-guarded", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			id++
			if disabled.Enabled() {
				disabled.Emit("id", id, "method", method)
			}
		}
	})
	b.Run("jstrace-trace", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			id++
			jstrace.Trace("bench:nosession", "id", id, "method", method)
		}
	})
	b.Run("jstrace-trace-unsubscribed", func(b *testing.B) {
		sub := jstrace.Subscribe(func(n string) bool { return n == "bench:other" }, 0)
		defer sub.Close()
		jstrace.Trace("bench:unsubscribed", "id", id) // registers the name
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			id++
			jstrace.Trace("bench:unsubscribed", "id", id, "method", method)
		}
	})
	b.Run("slog-debug", func(b *testing.B) {
		log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			id++
			log.Debug("request", "id", id, "method", method)
		}
	})
	b.Run("zerolog-debug", func(b *testing.B) {
		log := zerolog.New(io.Discard).Level(zerolog.InfoLevel)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			id++
			log.Debug().Int("id", id).Str("method", method).Msg("request")
		}
	})
	b.Run("otel-noop-span", func(b *testing.B) { // the global tracer with no SDK installed
		tr := otel.Tracer("bench")
		ctx := context.Background()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			id++
			_, span := tr.Start(ctx, "request")
			span.End()
		}
	})
}

// BenchmarkEnabled: a session subscribes and the events are shipped (here,
// read from the session buffer as the agent's pump does).
func BenchmarkEnabled(b *testing.B) {
	id, method := 0, "GET"
	b.Run("jstrace-emit", func(b *testing.B) {
		p := jstrace.NewProbe("bench:enabled")
		drain := subscribeAndDrain(b, "bench:enabled")
		b.ReportAllocs()
		b.ResetTimer()
		u := getUsage(b)
		for i := 0; i < b.N; i++ {
			id++
			p.Emit("id", id, "method", method, "status", 200, "duration", time.Duration(id))
			drain(i)
		}
		reportCPU(b, u)
	})
	b.Run("jstrace-trace", func(b *testing.B) {
		drain := subscribeAndDrain(b, "bench:enabled-trace")
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			id++
			jstrace.Trace("bench:enabled-trace", "id", id, "method", method, "status", 200, "duration", time.Duration(id))
			drain(i)
		}
	})
	b.Run("jstrace-emit-parallel", func(b *testing.B) {
		p := jstrace.NewProbe("bench:parallel")
		sub := jstrace.Subscribe(func(n string) bool { return n == "bench:parallel" }, 64<<20)
		defer sub.Close()
		stop := make(chan struct{})
		readerCPU := make(chan time.Duration, 1)
		go func() { // the agent's pump: keep the buffer from filling
			// On a thread of its own, whose CPU time is the reader's: the
			// producers' share is the process's less it.
			runtime.LockOSThread()
			start, _ := cpuclock.Self()
			// As large as the buffer it drains: the reader never grows it
			// (the agent's pump keeps its own once grown), so no garbage
			// of its making is collected on the producers' time.
			buf := make([]byte, 0, 64<<20)
			for {
				select {
				case <-stop:
					end, _ := cpuclock.Self()
					readerCPU <- end - start
					return
				case <-sub.Ready():
					if len(buf) < 64<<10 {
						time.Sleep(10 * time.Millisecond)
					}
					buf = sub.Read(buf[:0])
				}
			}
		}()
		b.ReportAllocs()
		b.ResetTimer()
		u := getUsage(b)
		onEveryCore(b, func(n int) {
			for i := range n {
				p.Emit("id", i, "method", method, "status", 200, "duration", time.Duration(i))
			}
		})
		b.StopTimer()
		reportCPU(b, u)
		close(stop)
		// The producers' CPU an event, the reader's left out: what
		// issue 16 compares with one goroutine's ns/op in jstrace-emit.
		total := getUsage(b).cpu - u.cpu
		b.ReportMetric(float64(total-<-readerCPU)/float64(b.N), "producer-cpu-ns/op")
		b.ReportMetric(float64(sub.Dropped()), "dropped")
	})
	// The flight recorder (agent.Options.Flight): the same event, encoded
	// into an always-on in-memory ring that nobody drains; it must cost what
	// jstrace-emit costs.
	b.Run("jstrace-emit-flight", func(b *testing.B) {
		p := jstrace.NewProbe("bench:flight")
		sub := jstrace.SubscribeFlight(func(n string) bool { return n == "bench:flight" }, 8<<20)
		defer sub.Close()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			id++
			p.Emit("id", id, "method", method, "status", 200, "duration", time.Duration(id))
		}
	})
	b.Run("jstrace-emit-flight-parallel", func(b *testing.B) {
		p := jstrace.NewProbe("bench:flight-parallel")
		sub := jstrace.SubscribeFlight(func(n string) bool { return n == "bench:flight-parallel" }, 8<<20)
		defer sub.Close()
		b.ReportAllocs()
		b.ResetTimer()
		u := getUsage(b)
		onEveryCore(b, func(n int) {
			for i := range n {
				p.Emit("id", i, "method", method, "status", 200, "duration", time.Duration(i))
			}
		})
		reportCPU(b, u)
	})
	b.Run("otel-sdk-span", func(b *testing.B) {
		exp := tracetest.NewNoopExporter()
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
		defer tp.Shutdown(context.Background())
		tr := tp.Tracer("bench")
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			id++
			_, span := tr.Start(ctx, "request")
			span.End()
		}
	})
	b.Run("slog-json", func(b *testing.B) {
		log := slog.New(slog.NewJSONHandler(io.Discard, nil))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			id++
			log.Info("request", "id", id, "method", method, "status", 200, "duration", time.Duration(id))
		}
	})
}

// subscribeAndDrain subscribes to a probe with a buffer large enough for a
// benchmark run and returns a function that empties it every 4096 events,
// the way the agent's pump would, outside the measured time.
// reportCPU reports the process's CPU time per event since u, as
// cpu-ns/op: every goroutine's, the reader's included (what the service
// pays for an event), where ns/op is the wall time of the probes'.
func reportCPU(b *testing.B, u usage) {
	b.ReportMetric(float64(getUsage(b).cpu-u.cpu)/float64(b.N), "cpu-ns/op")
}

func subscribeAndDrain(b *testing.B, name string) func(i int) {
	sub := jstrace.Subscribe(func(n string) bool { return n == name }, 64<<20)
	b.Cleanup(sub.Close)
	buf := make([]byte, 0, 64<<20)
	return func(i int) {
		if i%4096 == 4095 {
			b.StopTimer()
			buf = sub.Read(buf[:0])
			b.StartTimer()
		}
	}
}
