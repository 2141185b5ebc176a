package agent

import (
	"math"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"go.uber.org/goleak"
)

// fastRuntime shortens the runtime sampler's period for the test.
func fastRuntime(t testing.TB, d time.Duration) {
	t.Helper()
	goRuntime.mu.Lock()
	old := goRuntime.period
	goRuntime.period = d
	goRuntime.mu.Unlock()
	t.Cleanup(func() {
		goRuntime.mu.Lock()
		goRuntime.period = old
		goRuntime.mu.Unlock()
	})
}

// collect subscribes to pattern and returns a function that returns each
// event's fields, copied, so far.
func collect(t *testing.T, pattern string) func() []map[string]any {
	t.Helper()
	var mu sync.Mutex
	var got []map[string]any
	stop, err := jstrace.On(pattern, func(e jstrace.Event) {
		kv, _ := e.Args()
		m := map[string]any{"": strings.Clone(e.Name())}
		for i := 0; i+1 < len(kv); i += 2 {
			k := strings.Clone(kv[i].(string))
			switch v := kv[i+1].(type) {
			case uint64:
				m[k] = v
			case int64:
				m[k] = v
			case float64:
				m[k] = v
			case time.Duration:
				m[k] = v
			case time.Time:
				m[k] = v
			default:
				t.Errorf("%s: field %s of type %T", e.Name(), k, v)
			}
		}
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopAndWait(t, stop) })
	return func() []map[string]any {
		mu.Lock()
		defer mu.Unlock()
		return append([]map[string]any(nil), got...)
	}
}

// stopAndWait ends a subscription and waits for the sampler to return if
// it was the last.
func stopAndWait(t *testing.T, stop func()) {
	t.Helper()
	stop()
	if on, done := goRuntime.running(); !on && done != nil {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("the runtime sampler did not stop")
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

var sink [][]byte

// Real GC cycles each give one go:gc event, in order, with their pause
// and the heap's figures.
func TestGoGCEvents(t *testing.T) {
	fastRuntime(t, 10*time.Millisecond)
	start := time.Now()
	events := collect(t, "go:gc")
	waitFor(t, "the sampler", func() bool { on, _ := goRuntime.running(); return on })
	time.Sleep(30 * time.Millisecond) // the sampler's baseline is taken
	const cycles = 3
	for range cycles {
		for range 1000 {
			sink = append(sink, make([]byte, 1024))
		}
		runtime.GC()
		sink = nil
	}
	waitFor(t, "go:gc events", func() bool { return len(events()) >= cycles })
	got := events()
	for i, e := range got {
		if e[""] != "go:gc" {
			t.Fatalf("event %d is %v", i, e[""])
		}
		if i > 0 && e["cycle"].(int64) != got[i-1]["cycle"].(int64)+1 {
			t.Errorf("cycle %v after %v", e["cycle"], got[i-1]["cycle"])
		}
		if p := e["pause"].(time.Duration); p <= 0 || p > time.Second {
			t.Errorf("event %d: pause %v", i, p)
		}
		if p := e["pause_total"].(time.Duration); p < e["pause"].(time.Duration) {
			t.Errorf("event %d: pause total %v below the pause %v", i, p, e["pause"])
		}
		if end := e["end"].(time.Time); end.Before(start) || end.After(time.Now()) {
			t.Errorf("event %d: pause ended at %v, the test started at %v", i, end, start)
		}
		if f := e["gc_cpu"].(float64); f < 0 || f > 1 || math.IsNaN(f) {
			t.Errorf("event %d: GC CPU fraction %v", i, f)
		}
		live, goal, heap := e["heap_live"].(uint64), e["heap_goal"].(uint64), e["heap"].(uint64)
		if live == 0 || goal < live || heap == 0 {
			t.Errorf("event %d: heap live %d, goal %d, heap %d", i, live, goal, heap)
		}
	}
}

// go:heap and go:sched fire every period with sane figures.
func TestGoHeapAndSchedEvents(t *testing.T) {
	fastRuntime(t, 10*time.Millisecond)
	events := collect(t, "go:heap,go:sched")
	var wg sync.WaitGroup
	for range 4 { // some scheduling to measure
		wg.Go(func() { time.Sleep(time.Millisecond) })
	}
	wg.Wait()
	count := func(name string) (n int) {
		for _, e := range events() {
			if e[""] == name {
				n++
			}
		}
		return n
	}
	waitFor(t, "go:heap and go:sched events", func() bool { return count("go:heap") >= 2 && count("go:sched") >= 2 })
	for _, e := range events() {
		switch e[""] {
		case "go:heap":
			if e["objects"].(uint64) == 0 || e["heap"].(uint64) == 0 || e["heap_goal"].(uint64) == 0 ||
				e["memory"].(uint64) < e["heap"].(uint64) || e["goroutines"].(uint64) < 2 {
				t.Errorf("go:heap %v", e)
			}
		case "go:sched":
			p50, p99, mx := e["p50"].(time.Duration), e["p99"].(time.Duration), e["max"].(time.Duration)
			if p50 > p99 || p99 > mx || mx > time.Minute || (e["samples"].(uint64) == 0) != (mx == 0) {
				t.Errorf("go:sched %v", e)
			}
			if e["gomaxprocs"].(uint64) != uint64(runtime.GOMAXPROCS(0)) || e["goroutines"].(uint64) < 2 {
				t.Errorf("go:sched %v", e)
			}
		}
	}
}

// The sampler runs while at least one subscription wants a runtime
// probe, and no goroutine is left once the last leaves.
func TestRuntimeSamplerLifecycle(t *testing.T) {
	before := goleak.IgnoreCurrent()
	fastRuntime(t, 10*time.Millisecond)
	isRunning := func() bool { on, _ := goRuntime.running(); return on }
	other := jstrace.Subscribe(func(p string) bool { return p == "test:runtime:other" }, 0)
	defer other.Close()
	if isRunning() {
		t.Fatal("sampling with no runtime probe subscribed")
	}
	a := jstrace.Subscribe(func(p string) bool { return p == "go:heap" }, 0)
	if !isRunning() {
		t.Fatal("not sampling with go:heap subscribed")
	}
	if err := goleak.Find(before); err == nil || !strings.Contains(err.Error(), "rtSampler).run") {
		t.Fatalf("no sampler goroutine: %v", err)
	}
	waitFor(t, "a go:heap event", func() bool { return len(a.Read(nil)) > 0 })
	b := jstrace.Subscribe(func(p string) bool { return strings.HasPrefix(p, "go:") }, 0)
	a.Close()
	if !isRunning() {
		t.Fatal("stopped while go:* is still subscribed")
	}
	b.SetMatch(func(p string) bool { return p == "go:sched" })
	if !isRunning() {
		t.Fatal("stopped while go:sched is still subscribed")
	}
	_, done := goRuntime.running()
	b.Close()
	if isRunning() {
		t.Fatal("sampling after the last subscription left")
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the sampler goroutine did not return")
	}
	goleak.VerifyNone(t, before)
}

func TestLatencies(t *testing.T) {
	h := &metrics.Float64Histogram{
		Buckets: []float64{math.Inf(-1), 0.001, 0.002, 0.004, math.Inf(1)},
		Counts:  []uint64{0, 0, 0, 0},
	}
	ms := time.Millisecond
	for _, tc := range []struct {
		name           string
		counts, prev   []uint64
		p50, p99, maxL time.Duration
		n              uint64
	}{
		{"none", []uint64{5, 5, 5, 5}, []uint64{5, 5, 5, 5}, 0, 0, 0, 0},
		{"one bucket", []uint64{0, 10, 0, 0}, nil, 2 * ms, 2 * ms, 2 * ms, 10},
		{"since prev", []uint64{0, 110, 3, 0}, []uint64{0, 10, 2, 0}, 2 * ms, 2 * ms, 4 * ms, 101},
		{"tail", []uint64{0, 98, 0, 2}, nil, 2 * ms, 4 * ms, 4 * ms, 100},
		{"unbounded last", []uint64{0, 50, 0, 50}, nil, 2 * ms, 4 * ms, 4 * ms, 100},
		{"first bucket", []uint64{3, 0, 0, 0}, nil, ms, ms, ms, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.Counts = tc.counts
			p50, p99, mx, n := latencies(h, tc.prev)
			if p50 != tc.p50 || p99 != tc.p99 || mx != tc.maxL || n != tc.n {
				t.Fatalf("latencies = %v %v %v %d, want %v %v %v %d", p50, p99, mx, n, tc.p50, tc.p99, tc.maxL, tc.n)
			}
		})
	}
}

// BenchmarkRuntimeSample is the sampler's cost per period with the three
// probes subscribed (a function subscription that keeps nothing): the
// runtime/metrics read, the GC stats and the events.
func BenchmarkRuntimeSample(b *testing.B) {
	fastRuntime(b, time.Hour) // the goroutine started below stays idle
	sub := jstrace.SubscribeFunc(func(p string) bool { return strings.HasPrefix(p, "go:") }, func(jstrace.Event) {})
	defer sub.Close()
	s := newRTState()
	b.ReportAllocs()
	for b.Loop() {
		s.sample()
	}
}
