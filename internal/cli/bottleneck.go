package cli

import (
	"context"
	"errors"
	"time"

	"github.com/jstrace-go/jstrace/internal/tracestore"
	"github.com/jstrace-go/jstrace/internal/waterfall"
)

// A neck is a listed trace's bottleneck, the span jstrace trace marks: of
// the critical path, the one with the most self time.
type neck struct {
	SpanID    string  `json:"span_id"`
	Service   string  `json:"service"`
	Operation string  `json:"operation"`
	SelfMS    float64 `json:"self_ms"`
	self      time.Duration
}

// bottlenecks reads each listed trace and finds its bottleneck. A trace
// gone since the listing (past the retention) has none: nil.
func bottlenecks(ctx context.Context, store tracestore.Store, list []tracestore.Summary) ([]*neck, error) {
	necks := make([]*neck, len(list))
	for i := range list {
		spans, err := store.Trace(ctx, list[i].TraceID)
		if errors.Is(err, tracestore.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		s, self, ok := waterfall.New(waterfallSpans(spans), waterfall.Options{Orphans: true}).Bottleneck()
		if ok {
			necks[i] = &neck{SpanID: s.ID, Service: s.Service, Operation: s.Operation, SelfMS: float64(self) / float64(time.Millisecond), self: self}
		}
	}
	return necks, nil
}

// waterfallSpans is stored spans as the waterfall takes them.
func waterfallSpans(spans []tracestore.Span) []waterfall.Span {
	ws := make([]waterfall.Span, len(spans))
	for i := range spans {
		s := &spans[i]
		ws[i] = waterfall.Span{ID: s.SpanID, Parent: s.ParentID, Service: s.Service, Operation: s.Operation,
			Start: s.Start, Duration: s.Duration, Failed: s.Error != "" || s.ErrorType != "", Error: s.Error, ErrorType: s.ErrorType}
	}
	return ws
}
