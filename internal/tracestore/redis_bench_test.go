package tracestore_test

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/redistest"
	"github.com/jstrace-go/jstrace/internal/tracestore"
)

// Benchmarks of the Redis store on the shared test server (or
// $JSTRACE_TEST_REDIS: they write under a prefix of their own, kept 10
// minutes). The floors: ≥ 100,000 spans/s put with pipelining,
// Trace of a 1,000-span trace under 100 ms, Slow and Errors under 50 ms
// with 1 M spans stored ($JSTRACE_BENCH_SPANS, default 1,000,000).

const redisBenchRetention = 10 * time.Minute

// redisBenchTrace fills spans (20 of them, a root and 19 children, one failed
// in ten traces) as trace n of run.
func redisBenchTrace(spans []tracestore.Span, run, n int) {
	tid := redisHex(redisMix(uint64(run))) + redisHex(redisMix(uint64(n)))
	start := time.Now().Add(-time.Duration(n%3600) * time.Second)
	for i := range spans {
		s := &spans[i]
		*s = tracestore.Span{TraceID: tid, SpanID: redisHex(redisMix(uint64(n)<<16 | uint64(i+1))), Service: redisBenchServices[i%len(redisBenchServices)],
			Operation: redisBenchOps[i%len(redisBenchOps)], Start: start.Add(time.Duration(i) * time.Millisecond),
			Duration: time.Duration(1+(n*7919+i)%5000) * time.Millisecond, Host: "host-1", Tags: redisBenchTags}
		if i > 0 {
			s.ParentID = redisHex(redisMix(uint64(n)<<16 | uint64((i+1)/2)))
		}
	}
	if n%10 == 0 {
		spans[len(spans)-1].Error = "payment declined"
	}
}

var (
	redisBenchTags = []tracestore.Tag{{Key: "http.method", Value: "GET"}, {Key: "http.status", Value: "200"}}
	redisBenchOps  = []string{"op0", "op1", "op2", "op3", "op4", "op5", "op6"}
)

// redisHex is x in 16 hex digits.
func redisHex(x uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], x)
	return hex.EncodeToString(b[:])
}

// redisMix scatters x's bits (splitmix64's finalizer): IDs as random as real ones.
func redisMix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31 | 1
}

var redisBenchServices = []string{"gateway", "orders", "payments", "inventory", "users"}

var redisBenchRuns struct {
	sync.Mutex
	n int
}

// redisBenchRun numbers the benchmark runs, so that each puts new traces.
func redisBenchRun() int {
	redisBenchRuns.Lock()
	defer redisBenchRuns.Unlock()
	redisBenchRuns.n++
	return redisBenchRuns.n<<20 | int(time.Now().UnixNano()&0xfffff)
}

func redisBenchStore(b *testing.B, prefix string) tracestore.Store {
	b.Helper()
	return openRedisAt(b, redistest.URL(b), prefix, tracestore.Options{Retention: redisBenchRetention})
}

// BenchmarkRedisPut puts batches of 256 spans, of 20-span traces.
func BenchmarkRedisPut(b *testing.B) {
	s := redisBenchStore(b, "jstrace-bench:put:")
	run := redisBenchRun()
	const batchSize, perTrace = 256, 20
	all := make([]tracestore.Span, 0, batchSize+perTrace)
	tr := make([]tracestore.Span, perTrace)
	n := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		all = all[:0]
		for len(all) < batchSize {
			redisBenchTrace(tr, run, n)
			n++
			all = append(all, tr...)
		}
		if err := s.Put(context.Background(), all[:batchSize]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batchSize)/b.Elapsed().Seconds(), "spans/s")
}

// BenchmarkRedisPutParallel is BenchmarkRedisPut from GOMAXPROCS
// goroutines at once (several collectors).
func BenchmarkRedisPutParallel(b *testing.B) {
	s := redisBenchStore(b, "jstrace-bench:put:")
	const batchSize, perTrace = 256, 20
	b.RunParallel(func(pb *testing.PB) {
		run := redisBenchRun()
		all := make([]tracestore.Span, 0, batchSize+perTrace)
		tr := make([]tracestore.Span, perTrace)
		n := 0
		for pb.Next() {
			all = all[:0]
			for len(all) < batchSize {
				redisBenchTrace(tr, run, n)
				n++
				all = append(all, tr...)
			}
			if err := s.Put(context.Background(), all[:batchSize]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N*batchSize)/b.Elapsed().Seconds(), "spans/s")
}

// BenchmarkRedisTrace reads a 1,000-span trace.
func BenchmarkRedisTrace(b *testing.B) {
	s := redisBenchStore(b, "jstrace-bench:trace:")
	run := redisBenchRun()
	spans := make([]tracestore.Span, 1000)
	redisBenchTrace(spans, run, 1)
	if err := s.Put(context.Background(), spans); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, err := s.Trace(context.Background(), spans[0].TraceID)
		if err != nil || len(got) != len(spans) {
			b.Fatalf("Trace: %d spans, %v", len(got), err)
		}
	}
}

var redisFilled struct {
	once sync.Once
	err  error
	n    int
}

// fill puts $JSTRACE_BENCH_SPANS spans (default 1,000,000) once per test
// binary, under the prefix of the listing benchmarks.
func redisFill(b *testing.B) tracestore.Store {
	s := redisBenchStore(b, "jstrace-bench:list:")
	redisFilled.once.Do(func() {
		redisFilled.n = 1000000
		if v, err := strconv.Atoi(os.Getenv("JSTRACE_BENCH_SPANS")); err == nil && v > 0 {
			redisFilled.n = v
		}
		run := redisBenchRun()
		start := time.Now()
		tr := make([]tracestore.Span, 20)
		var batch []tracestore.Span
		for n := 0; n*len(tr) < redisFilled.n; n++ {
			redisBenchTrace(tr, run, n)
			batch = append(batch, tr...)
			if len(batch) >= 2000 {
				if redisFilled.err = s.Put(context.Background(), batch); redisFilled.err != nil {
					return
				}
				batch = batch[:0]
			}
		}
		redisFilled.err = s.Put(context.Background(), batch)
		b.Logf("stored %d spans in %v", redisFilled.n, time.Since(start).Round(time.Millisecond))
	})
	if redisFilled.err != nil {
		b.Fatal(redisFilled.err)
	}
	return s
}

func redisBenchList(b *testing.B, q tracestore.Query, list func(tracestore.Store, context.Context, tracestore.Query) ([]tracestore.Summary, error)) {
	s := redisFill(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, err := list(s, context.Background(), q)
		if err != nil || len(got) == 0 {
			b.Fatalf("%d traces, %v", len(got), err)
		}
	}
}

// BenchmarkRedisSlow lists the 20 and the 100 slowest traces, and the
// slowest of a service, among 1 M spans.
func BenchmarkRedisSlow(b *testing.B) {
	b.Run("default", func(b *testing.B) { redisBenchList(b, tracestore.Query{}, tracestore.Store.Slow) })
	b.Run("max", func(b *testing.B) {
		redisBenchList(b, tracestore.Query{Limit: tracestore.MaxLimit}, tracestore.Store.Slow)
	})
	b.Run("service", func(b *testing.B) { redisBenchList(b, tracestore.Query{Service: "payments"}, tracestore.Store.Slow) })
}

// BenchmarkRedisErrors lists today's failed traces among 1 M spans.
func BenchmarkRedisErrors(b *testing.B) {
	b.Run("default", func(b *testing.B) { redisBenchList(b, tracestore.Query{}, tracestore.Store.Errors) })
	b.Run("max", func(b *testing.B) {
		redisBenchList(b, tracestore.Query{Limit: tracestore.MaxLimit}, tracestore.Store.Errors)
	})
	b.Run("operation", func(b *testing.B) { redisBenchList(b, tracestore.Query{Operation: "op3"}, tracestore.Store.Errors) })
}

// BenchmarkRedisRecent lists the latest traces among 1 M spans.
func BenchmarkRedisRecent(b *testing.B) {
	b.Run("default", func(b *testing.B) { redisBenchList(b, tracestore.Query{}, tracestore.Store.Recent) })
	b.Run("service", func(b *testing.B) {
		redisBenchList(b, tracestore.Query{Service: "payments", Limit: tracestore.MaxLimit}, tracestore.Store.Recent)
	})
}
