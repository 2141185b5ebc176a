package tracestore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/tracestore"
)

// benchNow is the benchmarks' clock: their traces started in the day
// before it.
var benchNow = time.Date(2031, 5, 20, 23, 0, 0, 0, time.UTC)

func benchOptions() tracestore.Options {
	return tracestore.Options{Now: func() time.Time { return benchNow }}
}

// A spanGen makes spans as a collector receives them: traces of perTrace
// spans (a root of one of 7 services, children of 4 services and 16
// operations, two tags each), one trace in 20 failed, started over the 20
// hours before benchNow.
type spanGen struct {
	trace, span int
	perTrace    int
}

func (g *spanGen) next() tracestore.Span {
	if g.span == g.perTrace {
		g.trace, g.span = g.trace+1, 0
	}
	g.span++
	tr, i := g.trace, g.span
	start := benchNow.Add(-20 * time.Hour).Add(time.Duration(tr%50000) * 1440 * time.Millisecond)
	s := tracestore.Span{
		TraceID:   fmt.Sprintf("%016x%016x", mix(uint64(tr)), tr+1),
		SpanID:    fmt.Sprintf("%016x", uint64(tr)<<16|uint64(i)),
		Service:   fmt.Sprintf("svc%d", tr%7),
		Operation: fmt.Sprintf("GET /route/%d", tr%5),
		Start:     start.Add(time.Duration(i) * time.Millisecond),
		Duration:  time.Duration(1+(tr*31)%997) * time.Millisecond,
		Host:      "host-1",
		Tags:      []tracestore.Tag{{Key: "http.status", Value: "200"}, {Key: "peer", Value: "10.0.0.7:8080"}},
	}
	if i > 1 {
		s.ParentID = fmt.Sprintf("%016x", uint64(tr)<<16|1)
		s.Service = fmt.Sprintf("dep%d", i%4)
		s.Operation = fmt.Sprintf("call %d", i%16)
		s.Duration /= 3
	}
	if tr%20 == 0 && i == g.perTrace {
		s.Error, s.ErrorType = "connection refused", "*net.OpError"
	}
	return s
}

// mix is splitmix64's finalizer: trace IDs as random as real ones, so
// that traces land all over the store's B-trees, not at their end.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// batch returns the next n spans.
func (g *spanGen) batch(n int) []tracestore.Span {
	out := make([]tracestore.Span, n)
	for i := range out {
		out[i] = g.next()
	}
	return out
}

func openBench(b *testing.B, path string) tracestore.Store {
	s, err := tracestore.Open(context.Background(), path, benchOptions())
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkFilePut puts batches of 256 spans of 20-span traces, as a
// collector writes them, and reports spans stored per second of wall time
// and of CPU time (per core: the store writes on one goroutine).
func BenchmarkFilePut(b *testing.B) {
	s := openBench(b, filepath.Join(b.TempDir(), "traces.db"))
	defer s.Close()
	g := &spanGen{perTrace: 20}
	ctx := context.Background()
	const batch = 256
	batches := make([][]tracestore.Span, b.N)
	for i := range batches {
		batches[i] = g.batch(batch)
	}
	cpu0 := cpuTime(b)
	b.ResetTimer()
	for i := range b.N {
		if err := s.Put(ctx, batches[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	spans := float64(b.N * batch)
	b.ReportMetric(spans/b.Elapsed().Seconds(), "spans/s")
	if cpu0 >= 0 {
		b.ReportMetric(spans/(cpuTime(b)-cpu0).Seconds(), "spans/cpu-s")
	}
}

// BenchmarkFileTrace1000 reads a 1,000-span trace, as `jstrace trace`.
func BenchmarkFileTrace1000(b *testing.B) {
	s := openBench(b, filepath.Join(b.TempDir(), "traces.db"))
	defer s.Close()
	ctx := context.Background()
	g := &spanGen{perTrace: 1000}
	var id string
	for i := range 4 { // the big trace among others
		spans := g.batch(1000)
		if err := s.Put(ctx, spans); err != nil {
			b.Fatal(err)
		}
		if i == 2 {
			id = spans[0].TraceID
		}
	}
	b.ResetTimer()
	for range b.N {
		spans, err := s.Trace(ctx, id)
		if err != nil || len(spans) != 1000 {
			b.Fatalf("Trace = %d spans, %v", len(spans), err)
		}
	}
}

// fixture1M is a store of 1 M spans (50,000 traces), built once per run.
var fixture1M struct {
	once sync.Once
	path string
	err  error
}

// store1M returns a handle on the 1 M-span store.
func store1M(b *testing.B) tracestore.Store {
	if testing.Short() {
		b.Skip("builds a 1 M-span store")
	}
	f := &fixture1M
	f.once.Do(func() {
		dir, err := os.MkdirTemp("", "jstrace-bench-")
		if err != nil {
			f.err = err
			return
		}
		cleanups = append(cleanups, func() { os.RemoveAll(dir) })
		f.path = filepath.Join(dir, "traces.db")
		s, err := tracestore.Open(context.Background(), f.path, benchOptions())
		if err != nil {
			f.err = err
			return
		}
		defer s.Close()
		g := &spanGen{perTrace: 20}
		start := time.Now()
		for range 1_000_000 / 500 {
			if err := s.Put(context.Background(), g.batch(500)); err != nil {
				f.err = err
				return
			}
		}
		took := time.Since(start).Round(time.Millisecond)
		if err := s.Close(); err != nil { // checkpoints the WAL into the file
			f.err = err
			return
		}
		fi, err := os.Stat(f.path)
		if err != nil {
			f.err = err
			return
		}
		b.Logf("built the 1 M-span store in %v: %d MB", took, fi.Size()>>20)
	})
	if f.err != nil {
		b.Fatal(f.err)
	}
	return openBench(b, f.path)
}

// cleanups run after all tests and benchmarks (TestMain).
var cleanups []func()

func benchList(b *testing.B, list func(tracestore.Store, context.Context, tracestore.Query) ([]tracestore.Summary, error)) {
	s := store1M(b)
	defer s.Close()
	queries := []struct {
		name string
		q    tracestore.Query
	}{
		{"all", tracestore.Query{}},
		{"max", tracestore.Query{Limit: tracestore.MaxLimit}},
		{"service", tracestore.Query{Service: "svc3"}},
		{"child-service", tracestore.Query{Service: "dep2"}},
		{"operation", tracestore.Query{Operation: "call 7"}},
		{"since-1h", tracestore.Query{Since: benchNow.Add(-time.Hour)}},
		{"since-3h", tracestore.Query{Since: benchNow.Add(-3 * time.Hour)}},
		{"since-5m", tracestore.Query{Since: benchNow.Add(-5 * time.Minute)}},   // 200 traces
		{"since-10s", tracestore.Query{Since: benchNow.Add(-10 * time.Second)}}, // 7 traces
		{"unknown-service", tracestore.Query{Service: "nope"}},
	}
	ctx := context.Background()
	for _, q := range queries {
		b.Run(q.name, func(b *testing.B) {
			for range b.N {
				sums, err := list(s, ctx, q.q)
				if err != nil || (len(sums) == 0 && q.q.Service != "nope" && q.q.Since.Before(benchNow.Add(-time.Minute))) {
					b.Fatalf("listing = %d traces, %v", len(sums), err)
				}
			}
		})
	}
}

// BenchmarkFileSlow1M lists the slowest traces of a 1 M-span store.
func BenchmarkFileSlow1M(b *testing.B) { benchList(b, tracestore.Store.Slow) }

// BenchmarkFileErrors1M lists today's failed traces of a 1 M-span store.
func BenchmarkFileErrors1M(b *testing.B) { benchList(b, tracestore.Store.Errors) }
