package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jstrace-go/jstrace/internal/tracestore"
)

// fakeStore is a Store in memory for the commands' tests: Trace returns
// what was put, listings return list and record the query. Safe for
// concurrent use.
type fakeStore struct {
	mu      sync.Mutex
	traces  map[string][]tracestore.Span
	list    []tracestore.Summary
	err     error // returned by every read, if set
	queries []string
	closed  bool
}

func newFakeStore(spans ...tracestore.Span) *fakeStore {
	f := &fakeStore{traces: map[string][]tracestore.Span{}}
	f.Put(context.Background(), spans)
	return f
}

func (f *fakeStore) Put(_ context.Context, spans []tracestore.Span) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range spans {
		f.traces[s.TraceID] = append(f.traces[s.TraceID], s)
	}
	return nil
}

func (f *fakeStore) Trace(_ context.Context, id string) ([]tracestore.Span, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	s, ok := f.traces[id]
	if !ok {
		return nil, fmt.Errorf("trace %s: %w", id, tracestore.ErrNotFound)
	}
	return slices.Clone(s), nil
}

func (f *fakeStore) listing(kind string, q tracestore.Query) ([]tracestore.Summary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, fmt.Sprintf("%s service=%q operation=%q since=%s day=%q limit=%d",
		kind, q.Service, q.Operation, q.Since.UTC().Format(time.RFC3339), q.Day, q.Limit))
	return slices.Clone(f.list), f.err
}

func (f *fakeStore) Slow(_ context.Context, q tracestore.Query) ([]tracestore.Summary, error) {
	return f.listing("slow", q)
}

func (f *fakeStore) Errors(_ context.Context, q tracestore.Query) ([]tracestore.Summary, error) {
	return f.listing("errors", q)
}

func (f *fakeStore) Recent(_ context.Context, q tracestore.Query) ([]tracestore.Summary, error) {
	return f.listing("recent", q)
}

func (f *fakeStore) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return errors.New("closed twice")
	}
	f.closed = true
	return nil
}

// opener returns a StoreOptions.open that opens f, and records where.
func (f *fakeStore) opener(where *string) func(context.Context, string) (tracestore.Store, error) {
	return func(_ context.Context, w string) (tracestore.Store, error) {
		*where = w
		return f, nil
	}
}
