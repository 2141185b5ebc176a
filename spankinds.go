package jstrace

import (
	"context"
	"encoding/binary"
	"unsafe"
)

// Where a span lives. A span is its context: StartSpan makes one
// allocation, the derived context, and the *Span it returns points into
// it. How much that context holds depends on who needs the span, because
// an allocation's cost here grows with its size class (bench/README.md,
// Spans): 32 bytes cost about 30 ns, 48 bytes 40, 64 bytes 53.
//
//   - rootContext (32 bytes): an unsampled root nobody traces, started
//     from a context without a request ID or tracestate: the 96 random
//     bits of its trace ID; the rest of its trace ID and its span ID are
//     derived from them when asked (traceHi, rootSpanID).
//   - leanRootContext (48 bytes): another root nobody needs at its start
//     (not recording, no session on the span probes): its trace ID and
//     what it carries.
//   - leanContext (48 bytes): a child nobody needs at its start: its ID,
//     the span that keeps its trace ID (its trace's owner here: the root
//     or remote parent, or a span that records), and its parent, or the
//     request ID above its parent (which leads to the parent).
//   - remoteContext (56 bytes): a parent in another process (Extract,
//     ContextWithRemoteParent): its IDs and what it carries.
//   - spanContext (80 bytes): a span that records or is traced: its IDs,
//     its parent's ID, what it carries and its state.
//
// Everything a span answers is fixed when it starts, from what StartSpan
// was given: nothing is looked up again in a context, whose Value a
// caller's own context type might answer differently later (a pooled
// request context, say). What a span does not keep it finds by following
// the pointers it keeps: a lean child's request ID is its parent's, up a
// chain of lean children to the first that has one.
//
// Every kind begins with a spanHead, so the Span is at the same offset in
// each (TestSpanContextLayouts), and its kind says which holds it: each
// is read through a pointer to its own type only (checkptr, on under
// -race, stops a program that views an object through a larger type).

// spanKind is the kind of context a span lives in; 0 for a Span not made
// by StartSpan or Extract (a zero Span: its methods answer zero IDs).
type spanKind uint8

const (
	kindRoot spanKind = 1 + iota
	kindLeanRoot
	kindLean
	kindRemote
	kindFull
)

// spanHead is the part every span's context begins with: the context it
// derives from (the parent's, for a child) and the span's header.
type spanHead struct {
	context.Context
	span Span
}

// spanIDs are the IDs kept by remoteContext and spanContext.
type spanIDs struct {
	id      SpanID
	traceID TraceID
}

type rootContext struct {
	spanHead
	lo uint64 // the low half of the trace ID; span.mu.w is 32 bits of its high half
}

type leanRootContext struct {
	spanHead
	carry   *reqInfo // the request ID and tracestate; nil for none
	traceID TraceID
}

type leanContext struct {
	spanHead
	id    SpanID
	owner *Span // the span that keeps the trace ID: never a leanContext's
	// up is the parent's *Span or, with spanUpInfo, the *reqInfo of a
	// WithRequestID context between the parent and this span.
	up unsafe.Pointer
}

type remoteContext struct {
	spanHead
	ids   spanIDs
	carry *reqInfo // the request ID and tracestate; nil for none
}

type spanContext struct {
	spanHead
	ids    spanIDs
	parent SpanID   // the zero SpanID for a root
	carry  *reqInfo // the request ID and tracestate, shared with the parent's context; nil for none
	st     spanState
}

// Value answers the span for this package's key: the one lookup through
// which SpanFromContext and probes find it.
func (c *spanHead) Value(key any) any {
	if _, ok := key.(ctxKey); ok {
		return &c.span
	}
	return c.Context.Value(key)
}

func (c *spanHead) String() string {
	t, id := c.span.ids()
	return "jstrace.StartSpan(" + t.String() + "/" + id.String() + ")"
}

// startLean is StartSpan for a span nobody needs at its start: v is what
// ctx answered for ctxKey, p its span (nil for a root); w, hi and lo are
// a root's trace ID (newTraceBits), id a child's ID.
func startLean(ctx context.Context, v any, p *Span, flags uint8, w uint32, hi, lo, id uint64) (context.Context, *Span) {
	if p == nil {
		info, _ := v.(*reqInfo) // a root's context has no span: nil, or a request ID's
		if info == nil && flags&spanSampled == 0 {
			c := &rootContext{spanHead: spanHead{Context: ctx}, lo: lo}
			c.span.kind, c.span.mu.w = kindRoot, w
			return c, &c.span
		}
		c := &leanRootContext{spanHead: spanHead{Context: ctx}, carry: info}
		c.span.flags, c.span.kind = flags, kindLeanRoot
		binary.BigEndian.PutUint64(c.traceID[:8], hi)
		binary.BigEndian.PutUint64(c.traceID[8:], lo)
		return c, &c.span
	}
	c := &leanContext{spanHead: spanHead{Context: ctx}, owner: p, up: unsafe.Pointer(p)}
	if p.kind == kindLean {
		c.owner = p.lean().owner
	}
	if info, ok := v.(*reqInfo); ok {
		c.up = unsafe.Pointer(info)
		flags |= spanUpInfo
	}
	c.span.flags, c.span.kind = flags, kindLean
	binary.BigEndian.PutUint64(c.id[:], id)
	return c, &c.span
}

// head returns the spanHead s is in. s must be where StartSpan or
// withRemoteParent put it, never a copy (go vet reports copies: see
// noCopy); each accessor below is for its kind only.
func (s *Span) head() unsafe.Pointer {
	return unsafe.Add(unsafe.Pointer(s), -int(unsafe.Offsetof(spanHead{}.span)))
}

func (s *Span) root() *rootContext         { return (*rootContext)(s.head()) }
func (s *Span) leanRoot() *leanRootContext { return (*leanRootContext)(s.head()) }
func (s *Span) lean() *leanContext         { return (*leanContext)(s.head()) }
func (s *Span) remote() *remoteContext     { return (*remoteContext)(s.head()) }
func (s *Span) full() *spanContext         { return (*spanContext)(s.head()) }

// ids returns s's trace ID and span ID.
func (s *Span) ids() (t TraceID, id SpanID) {
	switch s.kind {
	case kindFull:
		d := &s.full().ids
		return d.traceID, d.id
	case kindRemote: // not through full(): a remoteContext is smaller (checkptr)
		d := &s.remote().ids
		return d.traceID, d.id
	case kindLean:
		t, _ = s.lean().owner.ids()
		return t, s.lean().id
	case kindLeanRoot:
		t = s.leanRoot().traceID
		hi, lo := binary.BigEndian.Uint64(t[:8]), binary.BigEndian.Uint64(t[8:])
		binary.BigEndian.PutUint64(id[:], rootSpanID(hi, lo))
	case kindRoot:
		c := s.root()
		hi := traceHi(c.span.mu.w, c.lo)
		binary.BigEndian.PutUint64(t[:8], hi)
		binary.BigEndian.PutUint64(t[8:], c.lo)
		binary.BigEndian.PutUint64(id[:], rootSpanID(hi, c.lo))
	}
	return t, id
}

// parent returns a lean child's parent.
func (c *leanContext) parent(flags uint8) *Span {
	if flags&spanUpInfo != 0 {
		return (*reqInfo)(c.up).span
	}
	return (*Span)(c.up)
}

// parentID returns the ID of s's parent: the zero SpanID for a root and
// a remote span.
func (s *Span) parentID() SpanID {
	switch s.kind {
	case kindFull:
		return s.full().parent
	case kindLean:
		return s.lean().parent(s.flags).SpanID()
	}
	return SpanID{}
}

// carry returns the request ID and tracestate s carries: those of the
// context it started from. A lean child whose parent was not under a
// request ID of its own carries its parent's: up a chain of lean children
// (a loop, not a recursion: chains can be deep).
func (s *Span) carry() *reqInfo {
	for {
		switch s.kind {
		case kindFull:
			return s.full().carry
		case kindRemote:
			return s.remote().carry
		case kindLeanRoot:
			return s.leanRoot().carry
		case kindLean:
			c := s.lean()
			if s.flags&spanUpInfo != 0 {
				return (*reqInfo)(c.up)
			}
			s = (*Span)(c.up)
		default:
			return nil
		}
	}
}

// state returns s's state: nil for a span nobody needed at its start,
// and for a remote parent.
func (s *Span) state() *spanState {
	if s == nil || s.kind != kindFull {
		return nil
	}
	return &s.full().st
}
