// Package link is what package script and package scripthost share: the
// interface through which a script's Traces reaches its host, the host's
// side of an Aggregation, and the constructors that package script
// registers at init for package scripthost. None of it is for script
// authors, which is why it is not in package script.
//
// Package script imports this package, so this package cannot name script's
// types: Host and Feed are generic in the Trace type, and package scripthost
// instantiates them with script.Trace. Use package scripthost, not this one.
package link

import (
	"fmt"
	"strings"
	"time"

	"github.com/jstrace-go/jstrace"
)

// Host runs a script instance: the agent for Remote, the CLI for Local. T
// is script.Trace. Script code calls its methods, through Traces, one at a
// time.
type Host[T any] interface {
	// On subscribes fn to traces whose name matches the glob pattern; it
	// returns an error for a malformed pattern.
	On(pattern string, fn func(*T)) error
	// Aggregate subscribes an Aggregation, compiled code that never
	// panics, to traces whose name matches pattern, like On; the host
	// feeds it through whichever of f's functions suits it, outside the
	// script's limits.
	Aggregate(pattern string, f Feed[T]) error
	// Emit sends an event from Remote to Local.
	Emit(name string, kv []any)
	// Print writes console output: stream is protocol.ConsoleStdout,
	// ConsoleStderr or ConsoleDir; text ends with a newline.
	Print(stream byte, text string)
	// Every calls fn every d until the session ends.
	Every(d time.Duration, fn func())
	// OnCleanup registers fn to run when the session ends.
	OnCleanup(fn func())
}

// A Feed is how a Host adds traces to an Aggregation. Its functions are
// safe for concurrent use and never panic.
type Feed[T any] struct {
	// Trace adds a decoded trace: the CLI's way, for Local.
	Trace func(*T)
	// Event adds an event as a probe fires it, in a few hundred
	// nanoseconds, retaining nothing: the agent's way, for Remote, called
	// by the probes themselves (see jstrace.SubscribeFunc).
	Event func(jstrace.Event)
	// Limit sets the Aggregation's memory bounds. A host that bounds
	// them calls it before it feeds the Aggregation; by default an
	// Aggregation holds at most DefaultMaxAggregationBytes.
	Limit func(AggLimits)
	// Fields says whether the Aggregation's By and Of fields appeared in
	// its traces, for the host to warn of misspelt ones.
	Fields func() FieldReport
}

// A FieldReport says whether an Aggregation's By and Of fields appeared
// in the traces it got: a misspelt field ("duraton") otherwise fails
// silently, every trace missing it. Hosts ask for it through Feed.Fields.
type FieldReport struct {
	// Missing lists the fields of the Agg (By, Of) that none of the
	// Aggregation's traces had, as far as it can tell: Of when every
	// trace lacked a numeric value for it; By when every trace went to
	// the group "" and none of those it noted had it.
	Missing []string
	// Seen lists field names, as scripts read them, that the first traces
	// lacking a field had: at most 16.
	Seen []string
}

// Origin identifies a traced process. The agent and the CLI attach it to
// every Trace they build. It is a value, safe to copy and share.
type Origin struct {
	Hostname string
	Title    string
	PID      int
}

// Prefix returns "hostname/title/pid", the prefix of remote console output.
func (o Origin) Prefix() string { return fmt.Sprintf("%s/%s/%d", o.Hostname, o.Title, o.PID) }

// Constructors are package script's functions that build its values for a
// host: they set unexported fields, so they are written in package script,
// which registers them in Script at init. T is script.Trace, TS
// script.Traces.
type Constructors[T, TS any] struct {
	// NewTraces returns the Traces a host hands to Remote or Local.
	NewTraces func(h Host[T]) *TS
	// ParseTrace builds a Trace from an encoded event record, validating
	// it; the Trace aliases rec.
	ParseTrace func(rec []byte, o Origin) (*T, error)
	// LoadTrace fills t from an event record this process encoded itself,
	// decoding only its header; t aliases rec.
	LoadTrace func(t *T, rec []byte, o Origin) error
	// LoadNamed is LoadTrace for a record whose name the caller has as a
	// string already (what its probe is named): the Trace takes it
	// rather than a copy of the record's.
	LoadNamed func(t *T, rec []byte, name string, o Origin) error
	// OnBounded is Traces.On for a handler the sandbox proved to end in
	// a bounded number of steps: a host that is a BoundedHost is told,
	// with what the handler does with its trace (see BoundedHost).
	OnBounded func(ts *TS, pattern string, fn func(*T), loan Loan)
	// LoadFields fills t with a name, a time and encoded fields (see
	// NextField in package protocol) that the caller made: the trace of
	// an event for a handler whose Loan names the only fields it reads.
	// t aliases fields.
	LoadFields func(t *T, name string, tm time.Time, fields []byte, o Origin)
	// Fields returns a function that reads the fields keys (as scripts
	// name them) of a trace in one pass: vals[i] (len(keys) of them) is
	// then the encoded value the getters would read for keys[i], nil if
	// the trace has none. vals alias the trace's record.
	Fields func(keys []string) func(t *T, vals [][]byte)
	// Getters decode such values as the Trace's getters do.
	Getters Getters
}

// Getters are the Trace's getters of the same names, reading a field's
// encoded value (nil if missing) rather than looking the field up; Time
// is TimeField.
type Getters struct {
	Int   func([]byte) int
	Uint  func([]byte) uint
	Float func([]byte) float64
	Dur   func([]byte) time.Duration
	Bool  func([]byte) bool
	Str   func([]byte) string
	Time  func([]byte) time.Time
	Has   func([]byte) bool
}

// A BoundedHost is a Host that can run handlers which end by
// construction (no loop, no recursion, no call of a function value: see
// the sandbox) other than as it runs the rest: the agent, on the goroutine
// that fires the probe. OnBounded is On for them; loan says what fn does
// with the trace it is given.
type BoundedHost[T any] interface {
	Host[T]
	OnBounded(pattern string, fn func(*T), loan Loan) error
}

// A Loan is what the sandbox proved of a handler's use of its trace.
type Loan struct {
	// Borrows: the handler keeps nothing of the trace once it returns
	// (it only reads it, never stores it or passes it on), so that the
	// host may hand it a trace, and record, that it reuses.
	Borrows bool
	// Keys, if not nil, are the raw keys (see RawKey) of the only fields
	// a borrowing handler reads, each by a getter called with a constant
	// key; it may read the trace's Name, Time, Hostname, Title and PID
	// too. The host may then hand it a trace holding those fields alone
	// (LoadFields), or none for an empty Keys. Nil: it may read any.
	Keys []string
}

// Script holds package script's Constructors[script.Trace, script.Traces],
// set by its init: package scripthost, which imports package script and so
// is initialised after it, reads it once.
var Script any

// reserved are the names of a Trace's own properties: a field whose key is
// one of them, possibly with leading underscores, is presented with one
// more underscore, so that the trace's properties and its fields never
// shadow each other (a probe's "pid" field is read as t.Int("_pid")).
var reserved = []string{"name", "time", "hostname", "title", "pid"}

// IsReserved reports whether a raw field key is presented renamed (see
// PresentKey).
func IsReserved(raw string) bool {
	base := strings.TrimLeft(raw, "_")
	for _, r := range reserved {
		if base == r {
			return true
		}
	}
	return false
}

// RawKey returns the raw field key that scripts see as key (see
// PresentKey); ok is false if none is ("pid" reads nothing: a field "pid"
// is presented as "_pid").
func RawKey(key string) (raw string, ok bool) {
	switch {
	case !IsReserved(key):
		return key, true
	case key[0] == '_':
		return key[1:], true
	}
	return "", false
}

// PresentKey returns the key under which scripts see the raw field key.
func PresentKey(raw string) string {
	if IsReserved(raw) {
		return "_" + raw
	}
	return raw
}
