package jstrace

import (
	"encoding/binary"
	"fmt"
	"math"
	"sync/atomic"
)

// A Sampler decides whether a new trace is sampled: recorded and exported.
// It is asked once per trace, when its root span starts (see
// [TracingOptions.Sampler]); the decision travels with the trace, in the
// traceparent flags, to every service it crosses. ShouldSample must be
// safe for concurrent use and quick: it runs on the request's goroutine.
//
// Sampling limits what is recorded and exported, not what `jstrace` sees:
// the span probes fire for every span, sampled or not, while a session
// subscribes to them.
type Sampler interface {
	ShouldSample(trace TraceID, operation string) bool
}

// An idSampler is one of this package's samplers, which decide on a trace
// ID's two big-endian halves without building it (see newTraceBits).
type idSampler interface {
	sampleIDs(hi, lo uint64, operation string) bool
}

type constSampler bool

func (c constSampler) ShouldSample(TraceID, string) bool    { return bool(c) }
func (c constSampler) sampleIDs(_, _ uint64, _ string) bool { return bool(c) }
func (c constSampler) String() string {
	if c {
		return "AlwaysSample"
	}
	return "NeverSample"
}

// AlwaysSample samples every trace.
func AlwaysSample() Sampler { return constSampler(true) }

// NeverSample samples no trace (a service that only continues the traces
// sampled upstream).
func NeverSample() Sampler { return constSampler(false) }

// Probability samples each trace with probability p (0 to 1, clamped):
// Moleculer's ConstantSampler. The decision is a function of the trace ID
// (a hash of all 16 bytes), so every jstrace service with the same p
// agrees. Not the last 8 bytes as OpenTelemetry's TraceIDRatioBased:
// trace IDs that are UUIDs (X-Trace-ID) have fixed variant bits there.
func Probability(p float64) Sampler {
	switch {
	case p >= 1:
		return AlwaysSample()
	case p <= 0 || math.IsNaN(p):
		return NeverSample()
	}
	return probSampler{p: p, bound: uint64(p * (1 << 63))}
}

type probSampler struct {
	p     float64
	bound uint64
}

func (s probSampler) ShouldSample(t TraceID, op string) bool {
	return s.sampleIDs(binary.BigEndian.Uint64(t[:8]), binary.BigEndian.Uint64(t[8:]), op)
}

func (s probSampler) sampleIDs(hi, lo uint64, _ string) bool {
	return mix(hi^lo)>>1 < s.bound
}

// mix is splitmix64's finalizer: every input bit moves every output bit.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

func (s probSampler) String() string { return fmt.Sprintf("Probability(%g)", s.p) }

// RateLimit samples at most perSecond traces a second, spread evenly, with
// a burst of one second's worth (at least one trace): Moleculer's
// RateLimiting sampler, fractions allowed (0.2 is one trace every five
// seconds). perSecond ≤ 0 samples nothing. It takes no lock: one atomic
// compare-and-swap per sampled trace.
func RateLimit(perSecond float64) Sampler {
	if perSecond <= 0 || math.IsNaN(perSecond) {
		return NeverSample()
	}
	// Clamped before converting: a float over MaxInt64 converts to
	// MinInt64 on amd64 (sampling everything), and tat+interval must not
	// overflow (1<<60 ns is 36 years).
	interval := int64(1 << 60)
	if f := 1e9 / perSecond; f < 1<<60 {
		interval = max(int64(f), 1)
	}
	burst := max(int64(1e9), interval) // a second's worth, at least one
	return &rateSampler{perSecond: perSecond, interval: interval, burst: burst}
}

// rateSampler is the generic cell rate algorithm: tat is the theoretical
// arrival time of the next trace; a trace is allowed when tat is no more
// than burst-interval ahead of now.
type rateSampler struct {
	perSecond       float64
	interval, burst int64
	tat             atomic.Int64
	clock           func() int64 // tests; nil means now
}

func (s *rateSampler) ShouldSample(TraceID, string) bool { return s.sampleIDs(0, 0, "") }

func (s *rateSampler) sampleIDs(_, _ uint64, _ string) bool {
	t := s.now()
	for {
		tat := s.tat.Load()
		next := max(tat, t) + s.interval
		if next-t > s.burst {
			return false
		}
		if s.tat.CompareAndSwap(tat, next) {
			return true
		}
	}
}

func (s *rateSampler) now() int64 {
	if s.clock != nil {
		return s.clock()
	}
	return now()
}

func (s *rateSampler) String() string { return fmt.Sprintf("RateLimit(%g)", s.perSecond) }
