package webui

import (
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/tracestore"
)

// A child on a host whose clock is 5 s behind is drawn inside its parent
// by the terminal's waterfall (moved): the page's offsets must be those
// same drawn places, within the trace's duration, not the raw starts (the
// root would then sit 5 s into a 100 ms trace: off its own bar).
func TestReviewViewClockSkew(t *testing.T) {
	t0 := time.Date(2031, 1, 1, 12, 0, 0, 0, time.UTC)
	const trace = "4bf92f3577b34da6a3ce929d0e0e4736"
	spans := []tracestore.Span{
		{TraceID: trace, SpanID: "00f067aa0ba902b7", Service: "gateway", Operation: "GET /", Start: t0, Duration: 100 * time.Millisecond},
		{TraceID: trace, SpanID: "b7ad6b7169203331", ParentID: "00f067aa0ba902b7", Service: "payments", Operation: "charge", Start: t0.Add(-5 * time.Second), Duration: 50 * time.Millisecond},
	}
	v := view(trace, spans)
	if v.Duration != 100*time.Millisecond {
		t.Fatalf("duration %v, want 100ms", v.Duration)
	}
	for _, s := range v.Spans {
		if s.Offset < 0 || s.Offset+s.Span.Duration > v.Duration {
			t.Errorf("span %s %s: offset %v + %v is outside the trace's %v", s.Service, s.Operation, s.Offset, s.Span.Duration, v.Duration)
		}
	}
}
