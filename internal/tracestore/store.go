// Package tracestore keeps finished spans, assembled into traces, for
// `jstrace collect` and the commands that read what it collected
// (`jstrace trace`, `slow`, `errors`, the web page). It is plumbing of the
// CLI: services never link it.
//
// Two stores implement [Store] with the same behaviour, proven by one
// conformance suite (package tracestore/storetest) run against both:
//
//   - an embedded single-file store (SQLite through modernc.org/sqlite, pure
//     Go), the default, at [DefaultPath];
//   - Redis (redis://host:port[/db]), shared by several collectors and
//     machines, laid out as the lightweight Redis tracer's design: spans per
//     trace with a TTL, a sorted set of the slowest traces, error traces per
//     day.
//
// The embedded store is SQLite rather than bbolt or Pebble because what it
// must do is what SQLite does: a collector writes while `jstrace slow`,
// `trace` and the web page read — in WAL mode readers never wait for the
// writer, even from another process, and a second collector's writes take
// turns through the file lock (busy_timeout); bbolt allows one process at a
// time on a file and Pebble one process per directory. The listings need
// secondary indexes (slowest, latest, failing by day, by service) kept in
// the same transaction as the spans, which SQLite maintains and plans, and
// which over a key-value engine would be hand-written index keys. And it
// is one file a user can copy, delete or open with the sqlite3 shell.
// modernc.org/sqlite is pure Go, so jstrace still builds without cgo.
//
// Spans of one trace may arrive from several services, out of order, late
// or twice, and a trace's root may arrive last: a store assembles them and
// keeps each (trace, span) pair once. Several writers (collectors) may put
// spans into one store at once without losing or duplicating any.
package tracestore

import (
	"context"
	"errors"
	"time"
)

// A Span is a finished span as stored. IDs are lowercase hex (32 digits
// for a trace, 16 for a span); ParentID is "" for a root. Put refuses a span
// whose IDs are not valid, whose TraceID is all zero or whose Duration is
// negative.
type Span struct {
	TraceID   string        `json:"trace_id"`
	SpanID    string        `json:"span_id"`
	ParentID  string        `json:"parent_id,omitempty"`
	Service   string        `json:"service"`
	Operation string        `json:"operation"`
	Start     time.Time     `json:"start"`       // RFC 3339 with nanoseconds in JSON
	Duration  time.Duration `json:"duration_ns"` // nanoseconds in JSON
	// Error is the span's error message; "" for a span that succeeded.
	Error     string `json:"error,omitempty"`
	ErrorType string `json:"error_type,omitempty"`
	Host      string `json:"host,omitempty"`
	Tags      []Tag  `json:"tags,omitempty"`
	Logs      []Log  `json:"logs,omitempty"`
}

// End is when the span ended.
func (s *Span) End() time.Time { return s.Start.Add(s.Duration) }

// A Tag is a span's tag, its value rendered as text.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// A Log is a timestamped message of a span.
type Log struct {
	Time    time.Time `json:"time"`
	Message string    `json:"message"`
	Fields  []Tag     `json:"fields,omitempty"`
}

// A Summary is what listings show of a trace.
type Summary struct {
	TraceID string `json:"trace_id"`
	// Service and Operation are the root span's, or, while the root has
	// not arrived, those of the earliest span.
	Service   string `json:"service"`
	Operation string `json:"operation"`
	// Start is the earliest span start; Duration the root's duration, or,
	// without a root, from the earliest start to the latest end.
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration_ns"`
	Spans    int           `json:"spans"`
	// Errors counts spans with an error; Error is the message of the
	// earliest of them ("" when none).
	Errors int    `json:"errors"`
	Error  string `json:"error,omitempty"`
	// Services are the trace's services, sorted, each once.
	Services []string `json:"services"`
	// Root is whether the root span (no parent) has arrived.
	Root bool `json:"root"`
}

// A Query selects traces for a listing. Its zero value lists the most
// recent (or slowest, or failing) DefaultLimit traces of every service.
type Query struct {
	// Service keeps traces with at least one span of that service ("" =
	// any). Operation keeps traces with at least one span of that operation.
	Service, Operation string
	// Since keeps traces that started at or after it (zero = any).
	Since time.Time
	// Day keeps, for Errors, traces that started on that UTC day
	// (YYYY-MM-DD); "" is today (UTC, by the store's clock).
	Day string
	// Limit is how many traces at most; 0 is DefaultLimit, more than
	// MaxLimit is MaxLimit.
	Limit int
}

const (
	DefaultLimit = 20
	MaxLimit     = 100 // the slowest traces a store keeps, as the reference design's top 100
)

// Store keeps spans and answers questions about their traces. A Store is
// safe for concurrent use by several goroutines, and several processes
// may open the same store at once.
type Store interface {
	// Put stores spans, each (TraceID, SpanID) once however often it is
	// put. It refuses the whole batch, storing nothing, if a span is
	// invalid (see Span), and returns an error wrapping ErrInvalid.
	Put(ctx context.Context, spans []Span) error
	// Trace returns a trace's spans ordered by start (then span ID), or
	// an error wrapping ErrNotFound.
	Trace(ctx context.Context, traceID string) ([]Span, error)
	// Slow lists the slowest traces, slowest first: at most MaxLimit, the
	// slowest kept.
	Slow(ctx context.Context, q Query) ([]Summary, error)
	// Errors lists traces with at least one failed span that started on
	// q.Day, latest first.
	Errors(ctx context.Context, q Query) ([]Summary, error)
	// Recent lists traces latest first (by start).
	Recent(ctx context.Context, q Query) ([]Summary, error)
	// Close releases the store; other methods then fail.
	Close() error
}

// Options configure a store. The zero value works.
type Options struct {
	// Retention is how long a trace is kept after its last span was put;
	// 0 is DefaultRetention.
	Retention time.Duration
	// Now is the store's clock (retention, today); nil is time.Now. Tests
	// set it; a Redis store's TTLs are Redis's own clock.
	Now func() time.Time
}

// DefaultRetention is how long traces are kept unless configured.
const DefaultRetention = 24 * time.Hour

var (
	// ErrNotFound is wrapped by Trace's error for a trace the store does
	// not have (never had, or expired).
	ErrNotFound = errors.New("trace not found")
	// ErrInvalid is wrapped by Put's error for a batch with an invalid span.
	ErrInvalid = errors.New("invalid span")
)
