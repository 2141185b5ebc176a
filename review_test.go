package jstrace_test

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/jstrace-go/jstrace"
)

// A span handed to exporters at End must not change afterwards: SpanData
// says it is "complete, and owned by no one else" and may be read from any
// goroutine. SetTag/Log/SetError after End still write to it.
func TestReviewNoWritesAfterEnd(t *testing.T) {
	spans := recordSpans(t)
	_, s := jstrace.StartSpan(context.Background(), "op")
	s.End()
	got := spans()
	if len(got) != 1 {
		t.Fatalf("%d spans", len(got))
	}
	d := got[0]
	s.SetTag("late", 1)
	s.Log("late")
	s.SetError(errors.New("late"))
	if len(d.Tags) != 0 || len(d.Logs) != 0 || d.Error != nil {
		t.Fatalf("exported SpanData changed after End: tags %v logs %v err %v", d.Tags, d.Logs, d.Error)
	}
}

// The same as a data race: an exporter reading the SpanData on its own
// goroutine (as export's pipeline does) while the owner sets a tag late.
func TestReviewRaceSetTagAfterEnd(t *testing.T) {
	var wg sync.WaitGroup
	stop := jstrace.OnSpanEnd(func(d *jstrace.SpanData) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = len(d.Tags)
			for _, f := range d.Tags {
				_ = f.Key
			}
		}()
	})
	defer stop()
	_, s := jstrace.StartSpan(context.Background(), "op")
	s.End()
	s.SetTag("late", "x")
	wg.Wait()
}

// RateLimit of a tiny rate (one trace per ~300 years) must sample almost
// nothing; int64(1e9/perSecond) overflows for perSecond < ~1.1e-10 and
// the interval clamps to 1ns: every trace is sampled.
func TestReviewRateLimitTinyRate(t *testing.T) {
	for _, rate := range []float64{1e-10, 1e-12, 1e-300} {
		s := jstrace.RateLimit(rate)
		n := 0
		for i := 0; i < 1000; i++ {
			if s.ShouldSample(jstrace.TraceID{1}, "op") {
				n++
			}
		}
		if n > 1 {
			t.Errorf("RateLimit(%g) sampled %d of 1000 traces at once", rate, n)
		}
	}
}

// The Redis-style tracer this issue absorbs (lightweight-redis-tracing.txt,
// line 95) continues a trace from X-Trace-ID alone (X-Span-ID optional):
// its clients and edge proxies send only the trace ID. Extract drops it
// and starts an unrelated trace, so such a request's spans are lost from
// the caller's trace.
func TestReviewExtractXTraceIDAlone(t *testing.T) {
	const tid = "4bf92f3577b34da6a3ce929d0e0e4736"
	ctx := jstrace.Extract(context.Background(), jstrace.MapCarrier{"x-trace-id": tid})
	_, s := jstrace.StartSpan(ctx, "op")
	if got := s.TraceID().String(); got != tid {
		t.Fatalf("X-Trace-ID %s alone not continued: new trace %s", tid, got)
	}
}

// Extract accepts X-Trace-ID as a UUID and lets Probability decide, from
// bytes 8..15 of the trace ID; a UUIDv4's byte 8 carries the variant
// bits (10xxxxxx), so Probability(0.25) samples none of these traces and
// Probability(0.8) all of them.
func TestReviewProbabilityUUIDTraceIDs(t *testing.T) {
	for _, p := range []float64{0.25, 0.8} {
		setTracing(t, jstrace.TracingOptions{Sampler: jstrace.Probability(p)})
		const n = 4000
		sampled := 0
		for i := 0; i < n; i++ {
			u := uuid4()
			ctx := jstrace.Extract(context.Background(), jstrace.MapCarrier{
				"x-trace-id": u, "x-span-id": "00f067aa0ba902b7"})
			if jstrace.SpanFromContext(ctx).IsSampled() {
				sampled++
			}
		}
		t.Logf("p=%g got %.3f", p, float64(sampled)/n)
		if got := float64(sampled) / n; got < p-0.05 || got > p+0.05 {
			t.Errorf("Probability(%g) sampled %.3f of UUID X-Trace-IDs", p, got)
		}
	}
}

func uuid4() string {
	var b [16]byte
	crand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// TracingOptions.Service documents "Default: the agent's Title when an
// agent runs". A service that starts its agent first and then calls
// SetTracing for its version or sampler (a natural order) gets the
// program's file name instead: SetTracing forgets DefaultService.
func TestReviewDefaultServiceSurvivesSetTracing(t *testing.T) {
	setTracing(t, jstrace.TracingOptions{})
	jstrace.DefaultService("orders") // what agent.New does
	jstrace.SetTracing(jstrace.TracingOptions{Version: "1.2.3", Sampler: jstrace.Probability(0.5)})
	if got := jstrace.Tracing().Service; got != "orders" {
		t.Fatalf("service %q after SetTracing without a Service, want the agent's title", got)
	}
}

// docs/tracing.md: "what is over is counted (DroppedTags, DroppedLogs,
// CutValues), never silently lost". A Log's trailing key without a value
// vanishes (SetTag's kv keeps it as !BADKEY), and a key over MaxValueLen
// is cut without being counted.
func TestReviewNothingSilentlyLost(t *testing.T) {
	spans := recordSpans(t)
	_, s := jstrace.StartSpan(context.Background(), "op")
	s.Log("m", "a", 1, "dangling")
	s.SetTag(strings.Repeat("k", jstrace.MaxValueLen+10), 1)
	s.End()
	d := spans()[0]
	if n := len(d.Logs[0].Fields); n != 2 && d.DroppedTags == 0 {
		t.Errorf("log fields %v: the dangling key is lost, uncounted", d.Logs[0].Fields)
	}
	if d.CutValues == 0 && d.DroppedTags == 0 {
		t.Errorf("a tag key of %d bytes was cut to %d, uncounted", jstrace.MaxValueLen+10, len(d.Tags[0].Key))
	}
}
