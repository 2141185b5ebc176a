package jstrace

import (
	"encoding/binary"
	"math"
	"testing"
)

// TestProbabilitySampler: over 200,000 random trace IDs, the sampled
// fraction is within 5 standard deviations of p.
func TestProbabilitySampler(t *testing.T) {
	const n = 200_000
	for _, p := range []float64{0.001, 0.1, 0.5, 0.9} {
		s := Probability(p)
		k := 0
		for i := 0; i < n; i++ {
			if s.ShouldSample(newTestTraceID(), "op") {
				k++
			}
		}
		sd := math.Sqrt(n * p * (1 - p))
		if math.Abs(float64(k)-n*p) > 5*sd {
			t.Errorf("Probability(%g): %d of %d sampled, want %.0f ± %.0f", p, k, n, n*p, 5*sd)
		}
	}
	id := newTestTraceID()
	a, b := Probability(0.3).ShouldSample(id, "x"), Probability(0.3).ShouldSample(id, "y")
	if a != b {
		t.Error("two samplers with the same probability disagree on one trace")
	}
	for _, p := range []float64{-1, 0, math.NaN()} {
		if Probability(p).ShouldSample(id, "") {
			t.Errorf("Probability(%g) sampled", p)
		}
	}
	if !Probability(1).ShouldSample(id, "") || !Probability(7).ShouldSample(id, "") {
		t.Error("Probability(≥1) did not sample")
	}
}

// TestRateLimitSampler runs the sampler on a fake clock: a burst of one
// second's worth, then perSecond a second, fractions included.
func TestRateLimitSampler(t *testing.T) {
	for _, tc := range []struct {
		perSecond   float64
		seconds     int
		burst, want int
	}{
		{100, 10, 100, 1100}, // burst of 100, then 100/s for 10 s
		{0.2, 60, 1, 13},     // one now, then one every 5 s
		{2.5, 4, 2, 12},
	} {
		s := RateLimit(tc.perSecond).(*rateSampler)
		var clk int64 = 1e9
		s.clock = func() int64 { return clk }
		got := 0
		for i := 0; i < 1000; i++ { // a burst at once
			if s.ShouldSample(TraceID{}, "") {
				got++
			}
		}
		if got != tc.burst {
			t.Errorf("RateLimit(%g): burst of %d, want %d", tc.perSecond, got, tc.burst)
		}
		for ms := 1; ms <= tc.seconds*1000; ms++ { // then 1,000 tries a second
			clk += 1e6
			if s.ShouldSample(TraceID{}, "") {
				got++
			}
		}
		if got != tc.want {
			t.Errorf("RateLimit(%g): %d sampled in %d s, want %d", tc.perSecond, got, tc.seconds, tc.want)
		}
	}
	if RateLimit(0).ShouldSample(TraceID{}, "") || RateLimit(-1).ShouldSample(TraceID{}, "") {
		t.Error("RateLimit(≤0) sampled")
	}
}

func newTestTraceID() (t TraceID) {
	w, lo := newTraceBits()
	hi := traceHi(w, lo)
	binary.BigEndian.PutUint64(t[:8], hi)
	binary.BigEndian.PutUint64(t[8:], lo)
	return t
}
