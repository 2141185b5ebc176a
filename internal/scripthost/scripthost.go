// Package scripthost is the host's side of package script: what the agent
// (for Remote) and the CLI (for Local) use to run a script and hand it
// traces. Scripts cannot use any of it, so it is kept out of package
// script, whose documentation is the script author's guide.
package scripthost

import (
	"time"

	"github.com/jstrace-go/jstrace/internal/scripthost/link"
	"github.com/jstrace-go/jstrace/script"
)

// Host runs a script instance: the agent for Remote, the CLI for Local.
// Its methods are link.Host's.
type Host = link.Host[script.Trace]

// A Feed is how a Host adds traces to an Aggregation: see link.Feed.
type Feed = link.Feed[script.Trace]

// Origin identifies a traced process; Prefix formats it for console
// output.
type Origin = link.Origin

// FieldReport says which of an Aggregation's fields never appeared.
type FieldReport = link.FieldReport

// AggLimits bound the memory of an Aggregation: see link.AggLimits.
type AggLimits = link.AggLimits

// A Pool is a budget of bytes that Aggregations share: see link.Pool.
type Pool = link.Pool

// DefaultMaxAggregationBytes bounds the memory of an Aggregation whose host
// sets no other bound.
const DefaultMaxAggregationBytes = link.DefaultMaxAggregationBytes

// NewPool returns a Pool of limit bytes.
func NewPool(limit int64) *Pool { return link.NewPool(limit) }

// IsReserved reports whether a raw field key is presented renamed to
// scripts (a probe's "pid" field is read as t.Int("_pid")).
func IsReserved(raw string) bool { return link.IsReserved(raw) }

// PresentKey returns the key under which scripts see the raw field key.
func PresentKey(raw string) string { return link.PresentKey(raw) }

// ctors are package script's, registered by its init, which has run:
// this package imports script.
var ctors = link.Script.(link.Constructors[script.Trace, script.Traces])

// NewTraces returns the Traces a host hands to Remote or Local.
func NewTraces(h Host) *script.Traces { return ctors.NewTraces(h) }

// ParseTrace builds a Trace from an encoded event record, such as one
// received from the wire, checking that it is well formed. The Trace
// aliases rec, which the caller must not modify afterwards.
func ParseTrace(rec []byte, o Origin) (*script.Trace, error) { return ctors.ParseTrace(rec, o) }

// LoadTrace fills t from an event record this process encoded itself (the
// agent's case): only the record's header is decoded; its fields are read
// when a getter asks, and getters fail safely on malformed fields. t then
// aliases rec, which must not be modified while a handler can reach t
// (after its call, for a handler that borrows its trace: see link.Loan).
func LoadTrace(t *script.Trace, rec []byte, o Origin) error { return ctors.LoadTrace(t, rec, o) }

// LoadNamedTrace is LoadTrace for a record named name, which the Trace
// then takes as its Name rather than a copy of the record's (the agent
// has its probe's name at hand).
func LoadNamedTrace(t *script.Trace, rec []byte, name string, o Origin) error {
	return ctors.LoadNamed(t, rec, name, o)
}

// OnBounded is t.On for a handler the sandbox proved to end in a bounded
// number of steps, and to use its trace as loan says; a host that is a
// BoundedHost is told so.
func OnBounded(t *script.Traces, pattern string, fn func(*script.Trace), loan Loan) {
	ctors.OnBounded(t, pattern, fn, loan)
}

// A Loan is what the sandbox proved of a handler's use of its trace (see
// link.Loan).
type Loan = link.Loan

// LoadFieldsTrace fills t with name, tm, the process's origin and fields,
// encoded as a record's (see link.Constructors.LoadFields); t aliases
// fields.
func LoadFieldsTrace(t *script.Trace, name string, tm time.Time, fields []byte, o Origin) {
	ctors.LoadFields(t, name, tm, fields, o)
}

// A BoundedHost is a Host that runs handlers which end by construction
// its own way (see link.BoundedHost).
type BoundedHost = link.BoundedHost[script.Trace]

// TraceFields returns a reader of the fields keys of a trace in one pass,
// each value as the getters would read it for its key, nil if missing
// (see link.Constructors.Fields): what compiled handlers read their
// trace's fields with, decoding them with Getters.
func TraceFields(keys []string) func(t *script.Trace, vals [][]byte) { return ctors.Fields(keys) }

// Getters decode a field's encoded value as the Trace's getters do.
var Getters = ctors.Getters
