// Package export sends finished spans to tracing backends.
//
// This file is the minimal registry the otel package builds on; the
// batching pipeline and the console and event exporters live beside it.
package export

import (
	"context"
	"sync"

	"github.com/jstrace-go/jstrace"
)

// An Exporter sends finished spans to a backend. Implementations must be
// safe for concurrent use.
type Exporter interface {
	// ExportSpans sends spans; it returns when they are sent or ctx is
	// done. It must not modify or keep the spans past its return.
	ExportSpans(ctx context.Context, spans []*jstrace.SpanData) error
	// Shutdown releases the exporter's resources; later calls of
	// ExportSpans fail or do nothing.
	Shutdown(ctx context.Context) error
}

var (
	registryMu sync.Mutex
	registry   = map[string]func() (Exporter, error){}
)

// Register makes the exporter constructor f available under name (as
// JSTRACE_EXPORTERS names it); a later Register of the same name replaces
// it. It is safe for concurrent use; packages call it from init.
func Register(name string, f func() (Exporter, error)) {
	registryMu.Lock()
	defer registryMu.Unlock()
	registry[name] = f
}

// Lookup returns the constructor registered under name, if any.
func Lookup(name string) (func() (Exporter, error), bool) {
	registryMu.Lock()
	defer registryMu.Unlock()
	f, ok := registry[name]
	return f, ok
}
