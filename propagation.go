package jstrace

import (
	"context"
	"strings"
	"unsafe"
)

// A Carrier holds a request's or a message's headers for [Inject] and
// [Extract]. Keys are given in HTTP's canonical form ("Traceparent",
// "X-Trace-Id"); a carrier matches them regardless of case, as header
// names are. net/http's http.Header is a Carrier as it is; [MapCarrier]
// is one for message headers held in a map.
//
// Inject and Extract call a carrier from the calling goroutine only; a
// carrier needs no locking unless its owner shares it.
type Carrier interface {
	// Get returns the first value of key, "" if none.
	Get(key string) string
	// Set replaces the values of key with value.
	Set(key, value string)
}

// The headers Inject writes and Extract reads, in canonical form (so
// http.Header's Get and Set need not rewrite them).
const (
	HeaderTraceparent  = "Traceparent"      // W3C Trace Context
	HeaderTracestate   = "Tracestate"       // W3C Trace Context
	HeaderTraceID      = "X-Trace-Id"       // the trace ID, 32 hex digits
	HeaderSpanID       = "X-Span-Id"        // the sender's span ID, 16 hex digits
	HeaderParentSpanID = "X-Parent-Span-Id" // the sender's parent span ID, if any
)

// MapCarrier is a [Carrier] for message headers held in a map (a queue
// message's, an RPC's metadata). Set stores keys in lowercase, as HTTP/2
// and most message systems carry them ("traceparent", "x-trace-id"); Get
// finds a key in any case. A MapCarrier must be made before Set (a nil
// map cannot be written); like a map, it is not safe for concurrent
// writes.
type MapCarrier map[string]string

// Get returns the value of key, looked up in lowercase, then in any case.
func (m MapCarrier) Get(key string) string {
	lower := lowerKey(key)
	if v, ok := m[lower]; ok {
		return v
	}
	for k, v := range m {
		if len(k) == len(key) && strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}

// Set sets key, in lowercase, to value.
func (m MapCarrier) Set(key, value string) { m[lowerKey(key)] = value }

// lowerKey returns key in lowercase, without allocating for the headers
// of this package or a key already in lowercase.
func lowerKey(key string) string {
	switch key {
	case HeaderTraceparent:
		return "traceparent"
	case HeaderTracestate:
		return "tracestate"
	case HeaderTraceID:
		return "x-trace-id"
	case HeaderSpanID:
		return "x-span-id"
	case HeaderParentSpanID:
		return "x-parent-span-id"
	}
	return strings.ToLower(key)
}

// Inject writes the span ctx holds (see [SpanFromContext]) into c, for the
// service a request or message goes to:
//
//   - traceparent: W3C Trace Context version 00, flags 01 if the trace is
//     sampled, else 00; and tracestate, if the trace carries one;
//   - X-Trace-ID (32 lowercase hex digits), X-Span-ID (the span's 16) and,
//     if the span has a parent, X-Parent-Span-ID: the headers of
//     Redis-style tracers, which read no traceparent.
//
// Without a span in ctx it writes nothing. Start a span for the call
// before injecting (jstracehttp's Transport does), so the receiver's span
// is the child of the call rather than of the whole operation.
//
// It costs one allocation for the values (they share it), plus what the
// carrier's Set costs: http.Header allocates the one-value slice of each
// header, four or five; a MapCarrier nothing once its map has room.
func Inject(ctx context.Context, c Carrier) {
	s := SpanFromContext(ctx)
	if s == nil || c == nil {
		return
	}
	t, id := s.ids()
	if !id.IsValid() { // a remote parent from X-Trace-ID alone
		return
	}
	// One buffer: the traceparent, then the parent's ID; X-Trace-ID and
	// X-Span-ID are the traceparent's substrings.
	b := make([]byte, 0, traceparentLen+16)
	b = appendTraceparent(b, t, id, s.flags&spanSampled != 0)
	if parent := s.parentID(); parent.IsValid() {
		b = appendHex(b, parent[:])
	}
	v := unsafe.String(unsafe.SliceData(b), len(b)) // b is never written again
	c.Set(HeaderTraceparent, v[:traceparentLen])
	if ts := s.carry().traceState(); ts != "" {
		c.Set(HeaderTracestate, ts)
	}
	c.Set(HeaderTraceID, v[3:35])
	c.Set(HeaderSpanID, v[36:52])
	if len(v) > traceparentLen {
		c.Set(HeaderParentSpanID, v[traceparentLen:])
	}
}

// Extract returns a copy of ctx whose next span continues the trace c
// carries, as [ContextWithRemoteParent] does, or ctx unchanged if c
// carries no valid trace context (the next span then starts a new trace).
// The request ID ctx carries, if any, is kept.
//
// It reads, in this order:
//
//   - traceparent, following W3C Trace Context: version ff, IDs all zero,
//     wrong lengths, misplaced dashes and non-hex digits make it invalid;
//     uppercase hex digits too, as the specification requires lowercase; a
//     version above 00 is read for its first four fields, as the
//     specification asks, if what follows them starts with "-". Where the
//     carrier can hold several values (http.Header), two traceparent
//     headers make it invalid. The sampled flag is honoured. tracestate
//     is kept with a valid traceparent only: at most 512 characters and 32
//     members of valid keys and values, no key twice; optional white space
//     and empty members are removed, and any other fault drops it whole.
//   - else X-Trace-ID (32 hex digits, either case, or a UUID's 36
//     characters) and X-Span-ID (16 hex digits, either case): the sender's
//     span, the parent of ours. X-Trace-ID alone (or with an invalid
//     X-Span-ID, which is ignored) continues the trace with no parent
//     span, as the Redis-style tracer sends it. Those headers say
//     nothing of sampling: this process's Sampler decides, at Extract, as
//     for a root. X-Parent-Span-ID is not read: it names the sender's
//     parent, which ours does not need.
//
// A value refused is ignored and never kept, so no malformed header is
// sent on by [Inject] or echoed in a response. Extract allocates one
// context when it finds a trace context (and the tracestate when it must
// be rewritten or joined), and nothing when it does not.
func Extract(ctx context.Context, c Carrier) context.Context {
	if c == nil {
		return ctx
	}
	if tp, n := values(c, HeaderTraceparent); n == 1 {
		if t, id, sampled, ok := parseTraceparent(tp); ok {
			return withRemoteParent(ctx, t, id, sampled, cleanTraceState(traceState(c)))
		}
	}
	tid := c.Get(HeaderTraceID)
	if tid == "" {
		return ctx
	}
	t, ok := parseXTraceID(tid)
	if !ok {
		return ctx
	}
	// Without a valid X-Span-ID the trace continues with no parent span:
	// the Redis tracer sends X-Trace-ID alone, and its trace is one trace.
	id, _ := ParseSpanID(c.Get(HeaderSpanID))
	return withRemoteParent(ctx, t, id, tracingConfig().sampler.ShouldSample(t, ""), "")
}

// multiValued is a carrier with several values per key (http.Header).
type multiValued interface {
	Values(key string) []string
}

// values returns the first value of key in c and how many c has (0 for
// none or an empty value).
func values(c Carrier, key string) (string, int) {
	if m, ok := c.(multiValued); ok {
		if vs := m.Values(key); len(vs) > 0 && vs[0] != "" {
			return vs[0], len(vs)
		}
		return "", 0
	}
	if v := c.Get(key); v != "" {
		return v, 1
	}
	return "", 0
}

// traceState returns c's tracestate; several header fields are one list,
// joined by commas (RFC 9110, section 5.3).
func traceState(c Carrier) string {
	m, ok := c.(multiValued)
	if !ok {
		return c.Get(HeaderTracestate)
	}
	vs := m.Values(HeaderTracestate)
	switch len(vs) {
	case 0:
		return ""
	case 1:
		return vs[0]
	}
	n := 0
	for _, v := range vs {
		n += len(v) + 1
	}
	if n > maxTraceStateLen+1 {
		return "" // over the bound: not worth joining
	}
	return strings.Join(vs, ",")
}
