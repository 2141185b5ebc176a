package collector

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jstrace-go/jstrace/internal/tracestore"
)

// memStore is a tracestore.Store in memory for the tests: Put keeps each
// (trace, span) once and refuses a batch with an invalid span, as the
// contract says; fail makes Put fail (the store unreachable) that many
// times first.
type memStore struct {
	mu    sync.Mutex
	spans map[[2]string]tracestore.Span
	puts  int
	fail  int
	block chan struct{} // if set, Put waits for it (or ctx)
}

func newMemStore() *memStore { return &memStore{spans: map[[2]string]tracestore.Span{}} }

var errDown = errors.New("store down")

func (m *memStore) Put(ctx context.Context, spans []tracestore.Span) error {
	if m.block != nil {
		select {
		case <-m.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.puts++
	if m.fail > 0 {
		m.fail--
		return errDown
	}
	for i := range spans {
		if r := Check(&spans[i], Limits{}); r != "" || spans[i].Service == "invalid-for-store" {
			return fmt.Errorf("put: span %d: %w", i, tracestore.ErrInvalid)
		}
	}
	for _, s := range spans {
		m.spans[[2]string{s.TraceID, s.SpanID}] = s
	}
	return nil
}

func (m *memStore) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.spans)
}

func (m *memStore) get(trace, span string) (tracestore.Span, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.spans[[2]string{trace, span}]
	return s, ok
}

func (m *memStore) Trace(context.Context, string) ([]tracestore.Span, error) {
	return nil, tracestore.ErrNotFound
}
func (m *memStore) Slow(context.Context, tracestore.Query) ([]tracestore.Summary, error) {
	return nil, nil
}
func (m *memStore) Errors(context.Context, tracestore.Query) ([]tracestore.Summary, error) {
	return nil, nil
}
func (m *memStore) Recent(context.Context, tracestore.Query) ([]tracestore.Summary, error) {
	return nil, nil
}
func (m *memStore) Close() error { return nil }
