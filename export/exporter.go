package export

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/jstrace-go/jstrace"
)

// An Exporter sends finished spans somewhere: a backend, a file, a probe.
// Implement it to add one (Moleculer's custom exporter).
//
// Concurrency contract: a [Pipeline] calls ExportSpans from one goroutine
// at a time (the exporter's own), never concurrently with itself, then
// Shutdown once, after the last ExportSpans has returned. Another caller
// must keep to the same rule. ExportSpans must honour ctx's deadline
// ([Options.Timeout]): an exporter that ignores it stalls its own queue,
// whose spans are then dropped, never the service. It must not modify
// the spans; it may keep them (no one else modifies them) unless it is a
// [Borrower]. An error it
// returns counts the batch as failed and is logged: it must not contain
// a secret (a token in a URL or header).
type Exporter interface {
	ExportSpans(ctx context.Context, spans []*jstrace.SpanData) error
	Shutdown(ctx context.Context) error
}

// A Borrower is an Exporter that keeps no span, nor anything a span
// holds (its Tags, Logs, Error), past the ExportSpans call that received
// it: it converts, encodes or copies what it needs during the call. A
// pipeline whose exporters all borrow recycles each span's memory once
// every exporter has exported it (see [jstrace.OnSpanEndLoan]), which
// saves the service an allocation per sampled span. An exporter that
// declares it and keeps spans anyway reads other spans' data.
type Borrower interface {
	Exporter
	// BorrowsSpans declares the contract; it is never called.
	BorrowsSpans()
}

// Environment variables read by FromEnv and SamplerFromEnv (and so by the
// agent).
const (
	// EnvExporters names the exporters to run, comma-separated: console,
	// event, collector, otlp, zipkin, or any name given to Register.
	EnvExporters = "JSTRACE_EXPORTERS"
	// EnvSampler chooses the sampler: always, never, a probability
	// (0.25) or a rate in traces per second (rate:0.2).
	EnvSampler = "JSTRACE_SAMPLER"
)

var (
	registryMu sync.Mutex
	registry   = map[string]func() (Exporter, error){}
)

// otelNames are the exporters package otel registers: asking for one it
// did not register means the program does not import it.
var otelNames = []string{"otlp", "zipkin"}

const otelImport = `import _ "github.com/jstrace-go/jstrace/otel"`

func init() {
	Register("console", func() (Exporter, error) { return Console(os.Stderr, ConsoleOptions{}), nil })
	Register("event", func() (Exporter, error) { return Event(), nil })
	Register("collector", func() (Exporter, error) { return Collector(CollectorOptions{}) })
}

// Register makes an exporter available by name to [Named], [FromEnv] and
// so $JSTRACE_EXPORTERS: new builds one (reading its own configuration,
// its environment variables for instance). Call it from an init function.
// Names are lowercase; Register panics if name is empty, already
// registered, or new is nil, as [database/sql.Register] does. It is safe
// for concurrent use.
func Register(name string, new func() (Exporter, error)) {
	if name == "" || name != strings.ToLower(strings.TrimSpace(name)) || strings.Contains(name, ",") {
		panic("export: Register: a name must be lowercase, without spaces or commas")
	}
	if new == nil {
		panic("export: Register of " + name + " with a nil function")
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("export: Register called twice for " + name)
	}
	registry[name] = new
}

// Registered returns the names of the registered exporters, sorted.
func Registered() []string {
	registryMu.Lock()
	defer registryMu.Unlock()
	names := make([]string, 0, len(registry))
	for name := range registry {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Named builds the registered exporters called names (case and spaces
// around a name do not matter; empty names and repeats are skipped). It
// returns every exporter it could build, and an error naming each one it
// could not: unknown, not linked into the program (otlp and zipkin need
// package github.com/jstrace-go/jstrace/otel imported), or failing to
// build. So a service can run the exporters that work and log the rest.
func Named(names ...string) ([]Exporter, error) {
	var (
		exps []Exporter
		errs []error
		seen = map[string]bool{}
	)
	for _, name := range names {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		registryMu.Lock()
		new := registry[name]
		registryMu.Unlock()
		switch {
		case new == nil && slices.Contains(otelNames, name):
			errs = append(errs, fmt.Errorf("export: exporter %q is not linked into this program: %s", name, otelImport))
		case new == nil:
			errs = append(errs, fmt.Errorf("export: unknown exporter %q (registered: %s; otlp and zipkin need %s)",
				name, strings.Join(Registered(), ", "), otelImport))
		default:
			e, err := build(name, new)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			exps = append(exps, e)
		}
	}
	return exps, errors.Join(errs...)
}

// build calls a registered constructor, which must not take the service
// down with a panic.
func build(name string, new func() (Exporter, error)) (e Exporter, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, err = nil, fmt.Errorf("export: exporter %q: constructor panicked", name)
		}
	}()
	e, err = new()
	if err != nil {
		return nil, fmt.Errorf("export: exporter %q: %w", name, err)
	}
	if e == nil {
		return nil, fmt.Errorf("export: exporter %q: constructor returned nil", name)
	}
	return e, nil
}

// FromEnv builds the exporters $JSTRACE_EXPORTERS names, as [Named]
// does: none (and no error) when it is unset or empty.
func FromEnv() ([]Exporter, error) {
	v := os.Getenv(EnvExporters)
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	exps, err := Named(strings.Split(v, ",")...)
	if err != nil {
		err = fmt.Errorf("%s: %w", EnvExporters, err)
	}
	return exps, err
}

// A DroppedError is what an exporter's ExportSpans returns when it dropped
// some of the spans it was given on purpose, within its own bounds (the
// console exporter past ConsoleOptions.MaxTraces): the pipeline counts
// them in Stats.Dropped, the rest as exported, and logs the drops with
// Reason, at most once per Interval. Reason must be a constant text.
type DroppedError struct {
	Spans  int
	Reason string
}

func (e *DroppedError) Error() string {
	return fmt.Sprintf("export: %d spans dropped: %s", e.Spans, e.Reason)
}
