package agent

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// The runtime/metrics the runtime probes read, by index in rtState.samples.
const (
	mGoal = iota
	mLive
	mObjects
	mHeap
	mMemory
	mGoroutines
	mGOMAXPROCS
	mGCCPU
	mAllCPU
	mSched
	mCount
)

var rtMetrics = [mCount]string{
	mGoal:       "/gc/heap/goal:bytes",
	mLive:       "/gc/heap/live:bytes",
	mObjects:    "/gc/heap/objects:objects",
	mHeap:       "/memory/classes/heap/objects:bytes",
	mMemory:     "/memory/classes/total:bytes",
	mGoroutines: "/sched/goroutines:goroutines",
	mGOMAXPROCS: "/sched/gomaxprocs:threads",
	mGCCPU:      "/cpu/classes/gc/total:cpu-seconds",
	mAllCPU:     "/cpu/classes/total:cpu-seconds",
	mSched:      "/sched/latencies:seconds",
}

// An rtState is what one sampler remembers between samples, so that each
// event covers what happened since the previous one. It belongs to the
// sampler's goroutine.
type rtState struct {
	samples []metrics.Sample
	gc      debug.GCStats // its Pause and PauseEnd slices are reused
	cycles  int64         // GC cycles already reported
	// gcCPU and allCPU are the CPU seconds at the previous go:gc event.
	gcCPU, allCPU float64
	sched         []uint64 // the scheduler latency counts at the previous sample
}

// newRTState reads the runtime once: the first events cover what happens
// after the subscription, not since the process started.
func newRTState() *rtState {
	s := &rtState{samples: make([]metrics.Sample, mCount)}
	for i, name := range rtMetrics {
		s.samples[i].Name = name
	}
	s.read()
	s.cycles = s.gc.NumGC
	s.gcCPU, s.allCPU = s.float(mGCCPU), s.float(mAllCPU)
	s.sched = append(s.sched[:0], s.hist(mSched).Counts...)
	return s
}

func (s *rtState) read() {
	metrics.Read(s.samples)
	debug.ReadGCStats(&s.gc)
}

func (s *rtState) uint(i int) uint64 {
	if v := s.samples[i].Value; v.Kind() == metrics.KindUint64 {
		return v.Uint64()
	}
	return 0
}

func (s *rtState) float(i int) float64 {
	if v := s.samples[i].Value; v.Kind() == metrics.KindFloat64 {
		return v.Float64()
	}
	return 0
}

func (s *rtState) hist(i int) *metrics.Float64Histogram {
	if v := s.samples[i].Value; v.Kind() == metrics.KindFloat64Histogram {
		return v.Float64Histogram()
	}
	return &metrics.Float64Histogram{}
}

// sample reads the runtime and fires the probes that are enabled.
func (s *rtState) sample() {
	s.read()
	s.gcEvents()
	if probeGoHeap.Enabled() {
		probeGoHeap.Emit("objects", s.uint(mObjects), "heap", s.uint(mHeap),
			"heap_live", s.uint(mLive), "heap_goal", s.uint(mGoal),
			"memory", s.uint(mMemory), "goroutines", s.uint(mGoroutines))
	}
	h := s.hist(mSched)
	if probeGoSched.Enabled() {
		p50, p99, maxLat, n := latencies(h, s.sched)
		probeGoSched.Emit("p50", p50, "p99", p99, "max", maxLat, "samples", n,
			"goroutines", s.uint(mGoroutines), "gomaxprocs", s.uint(mGOMAXPROCS))
	}
	s.sched = append(s.sched[:0], h.Counts...)
}

// gcEvents fires go:gc once per cycle completed since the previous
// sample, oldest first. The pauses come from the runtime's record of the
// last 256 cycles; older ones (over 256 cycles in one period) are skipped.
// The CPU fraction and the heap figures are the sample's, shared by the
// cycles it found.
func (s *rtState) gcEvents() {
	n := s.gc.NumGC - s.cycles
	if n <= 0 {
		return
	}
	s.cycles = s.gc.NumGC
	gcCPU, allCPU := s.float(mGCCPU), s.float(mAllCPU)
	var frac float64
	if d := allCPU - s.allCPU; d > 0 {
		frac = (gcCPU - s.gcCPU) / d
	}
	s.gcCPU, s.allCPU = gcCPU, allCPU
	if !probeGoGC.Enabled() {
		return
	}
	for i := min(n, int64(len(s.gc.Pause))) - 1; i >= 0; i-- {
		var end time.Time
		if int(i) < len(s.gc.PauseEnd) {
			end = s.gc.PauseEnd[i]
		}
		probeGoGC.Emit("cycle", s.gc.NumGC-i, "pause", s.gc.Pause[i], "end", end,
			"pause_total", s.gc.PauseTotal, "gc_cpu", frac,
			"heap_live", s.uint(mLive), "heap_goal", s.uint(mGoal), "heap", s.uint(mHeap))
	}
}

// latencies returns the median, 99th percentile and maximum of the
// scheduler latencies recorded since the counts prev, and how many there
// were; each is the upper bound of its histogram bucket (the lower bound
// for the last, unbounded bucket).
func latencies(h *metrics.Float64Histogram, prev []uint64) (p50, p99, maxLat time.Duration, n uint64) {
	delta := func(i int) uint64 {
		if i < len(prev) && prev[i] <= h.Counts[i] {
			return h.Counts[i] - prev[i]
		}
		return h.Counts[i]
	}
	bound := func(i int) time.Duration {
		b := h.Buckets[i+1]
		if math.IsInf(b, 1) {
			b = h.Buckets[i]
		}
		return time.Duration(b * float64(time.Second))
	}
	for i := range h.Counts {
		n += delta(i)
	}
	if n == 0 {
		return 0, 0, 0, 0
	}
	at50, at99 := (n+1)/2, n-n/100 // the ranks, from 1, of the quantiles
	var seen uint64
	var got50, got99 bool
	for i := range h.Counts {
		d := delta(i)
		if d == 0 {
			continue
		}
		seen += d
		if !got50 && seen >= at50 {
			p50, got50 = bound(i), true
		}
		if !got99 && seen >= at99 {
			p99, got99 = bound(i), true
		}
		maxLat = bound(i)
	}
	return p50, p99, maxLat, n
}
