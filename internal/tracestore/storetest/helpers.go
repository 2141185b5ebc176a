package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/jstrace-go/jstrace/internal/tracestore"
)

// tid is the n-th test trace ID; sid the n-th span ID (n > 0).
func tid(n int) string { return fmt.Sprintf("%032x", 0x7ace0000+n) }
func sid(n int) string { return fmt.Sprintf("%016x", 0x5a000+n) }

// span builds a span of trace tr: id and parent are span numbers (parent
// 0: a root), start is an offset from base.
func span(tr, id, parent int, service, op string, start, d time.Duration) tracestore.Span {
	s := tracestore.Span{
		TraceID: tid(tr), SpanID: sid(id), Service: service, Operation: op,
		Start: base.Add(start), Duration: d,
	}
	if parent != 0 {
		s.ParentID = sid(parent)
	}
	return s
}

// failed returns s with an error.
func failed(s tracestore.Span, msg string) tracestore.Span {
	s.Error, s.ErrorType = msg, "*errors.errorString"
	return s
}

// simple is a trace of a root (service/op, duration d, starting at start)
// and one child of service "db", 1 ms in.
func simple(tr int, service, op string, start, d time.Duration) []tracestore.Span {
	return []tracestore.Span{
		span(tr, 1, 0, service, op, start, d),
		span(tr, 2, 1, "db", "query", start+time.Millisecond, d/2),
	}
}

func ctx() context.Context { return context.Background() }

func (e *env) put(s tracestore.Store, spans ...tracestore.Span) {
	e.Helper()
	if err := s.Put(ctx(), spans); err != nil {
		e.Fatalf("Put(%d spans) = %v", len(spans), err)
	}
}

// trace gets a trace and fails unless its spans equal want (in order).
func (e *env) trace(s tracestore.Store, id string, want []tracestore.Span) {
	e.Helper()
	got, err := s.Trace(ctx(), id)
	if err != nil {
		e.Fatalf("Trace(%s) = %v", id, err)
	}
	if g, w := normal(got), normal(want); !reflect.DeepEqual(g, w) {
		e.Fatalf("Trace(%s) =\n%s\nwant\n%s", id, show(g), show(w))
	}
}

// gone fails unless the store does not have trace id.
func (e *env) gone(s tracestore.Store, id string) {
	e.Helper()
	got, err := s.Trace(ctx(), id)
	if !errors.Is(err, tracestore.ErrNotFound) {
		e.Fatalf("Trace(%s) = %d spans, %v; want ErrNotFound", id, len(got), err)
	}
}

// A lister is one of Slow, Errors, Recent.
type lister func(tracestore.Store, context.Context, tracestore.Query) ([]tracestore.Summary, error)

var (
	slow   lister = tracestore.Store.Slow
	errs   lister = tracestore.Store.Errors
	recent lister = tracestore.Store.Recent
)

// list runs l and returns the trace IDs it lists, in order.
func (e *env) list(s tracestore.Store, l lister, q tracestore.Query) []string {
	e.Helper()
	sums, err := l(s, ctx(), q)
	if err != nil {
		e.Fatalf("listing %+v: %v", q, err)
	}
	ids := make([]string, len(sums))
	for i, m := range sums {
		ids[i] = m.TraceID
	}
	return ids
}

// listed fails unless l lists exactly the traces numbered want, in order.
func (e *env) listed(s tracestore.Store, l lister, q tracestore.Query, want ...int) {
	e.Helper()
	ids := make([]string, len(want))
	for i, n := range want {
		ids[i] = tid(n)
	}
	if got := e.list(s, l, q); !reflect.DeepEqual(got, ids) && !(len(got) == 0 && len(ids) == 0) {
		e.Fatalf("listing %+v:\n got %v\nwant %v", q, got, ids)
	}
}

// summary returns trace id's summary as Recent lists it.
func (e *env) summary(s tracestore.Store, id string) tracestore.Summary {
	e.Helper()
	sums, err := s.Recent(ctx(), tracestore.Query{Limit: tracestore.MaxLimit})
	if err != nil {
		e.Fatalf("Recent: %v", err)
	}
	for _, m := range sums {
		if m.TraceID == id {
			return m
		}
	}
	e.Fatalf("Recent does not list %s", id)
	return tracestore.Summary{}
}

// sameSummary fails unless got equals want (times compared as instants).
func (e *env) sameSummary(got, want tracestore.Summary) {
	e.Helper()
	got.Start, want.Start = got.Start.UTC(), want.Start.UTC()
	if len(got.Services) == 0 {
		got.Services = nil
	}
	if !reflect.DeepEqual(got, want) {
		e.Fatalf("summary\n got %+v\nwant %+v", got, want)
	}
}

// normal returns spans with times in UTC and empty slices nil, so that
// equal spans compare equal.
func normal(spans []tracestore.Span) []tracestore.Span {
	out := make([]tracestore.Span, len(spans))
	for i, s := range spans {
		s.Start = s.Start.UTC()
		if len(s.Tags) == 0 {
			s.Tags = nil
		}
		if len(s.Logs) == 0 {
			s.Logs = nil
		} else {
			logs := make([]tracestore.Log, len(s.Logs))
			for j, l := range s.Logs {
				l.Time = l.Time.UTC()
				if len(l.Fields) == 0 {
					l.Fields = nil
				}
				logs[j] = l
			}
			s.Logs = logs
		}
		out[i] = s
	}
	return out
}

// byStart sorts spans as Trace returns them: by start, then span ID.
func byStart(spans []tracestore.Span) []tracestore.Span {
	out := append([]tracestore.Span(nil), spans...)
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].SpanID < out[j].SpanID
	})
	return out
}

// show renders spans one a line, long values cut.
func show(spans []tracestore.Span) string {
	var b strings.Builder
	for _, s := range spans {
		line := fmt.Sprintf("%+v", s)
		if len(line) > 300 {
			line = line[:300] + "…"
		}
		b.WriteString("  " + line + "\n")
	}
	return b.String()
}
