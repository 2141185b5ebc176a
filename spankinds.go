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
//   - rootContext (32 bytes): an unsampled root nobody traces, the most
//     common span of a sampled service. It keeps the 96 random bits of
//     its trace ID; the rest of its trace ID and its span ID are derived
//     from them when asked (see traceHi, rootSpanID).
//   - leanContext (48 bytes): any other span nobody needs at its start
//     (not recording, no session on the span probes): its trace and span
//     IDs. Its parent's ID and what it carries (request ID, tracestate)
//     are its parent context's, found there when asked.
//   - remoteContext (64 bytes): a parent in another process (Extract,
//     ContextWithRemoteParent): its IDs and what it carries.
//   - spanContext (80 bytes): a span that records or is traced: its IDs,
//     its parent's ID, what it carries and its state.
//
// Every kind begins with a spanHead, so the Span is at the same offset in
// each; its flags say which kind holds it. The three larger kinds keep
// their IDs at the same offset too (TestSpanContextLayouts).

// spanHead is the part every span's context begins with: the context it
// derives from (the parent's, for a child) and the span's header.
type spanHead struct {
	context.Context
	span Span
}

// spanIDs are the IDs kept by every kind of context but rootContext.
type spanIDs struct {
	id      SpanID
	traceID TraceID
}

type rootContext struct {
	spanHead
	lo uint64 // the low half of the trace ID; span.mu.w is 32 bits of its high half
}

type leanContext struct {
	spanHead
	ids spanIDs
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

// head returns the spanHead s is in. s must be where StartSpan or
// withRemoteParent put it, never a copy (go vet reports copies: see
// noCopy).
func (s *Span) head() *spanHead {
	return (*spanHead)(unsafe.Add(unsafe.Pointer(s), -int(unsafe.Offsetof(spanHead{}.span))))
}

// stored returns the IDs of a span not in a rootContext: at the same
// offset in leanContext, remoteContext and spanContext.
func (s *Span) stored() *spanIDs { return &(*leanContext)(unsafe.Pointer(s.head())).ids }

// full returns the spanContext of a span with spanFull set.
func (s *Span) full() *spanContext { return (*spanContext)(unsafe.Pointer(s.head())) }

// ids returns s's trace ID and span ID.
func (s *Span) ids() (TraceID, SpanID) {
	if s.flags&spanInRoot == 0 {
		d := s.stored()
		return d.traceID, d.id
	}
	c := (*rootContext)(unsafe.Pointer(s.head()))
	hi := traceHi(c.span.mu.w, c.lo)
	var t TraceID
	var id SpanID
	binary.BigEndian.PutUint64(t[:8], hi)
	binary.BigEndian.PutUint64(t[8:], c.lo)
	binary.BigEndian.PutUint64(id[:], rootSpanID(hi, c.lo))
	return t, id
}

// parentID returns the ID of s's parent: the zero SpanID for a root and
// a remote span; a lean child's parent is the span of the context it
// derives from, as StartSpan found it.
func (s *Span) parentID() SpanID {
	switch {
	case s.flags&spanFull != 0:
		return s.full().parent
	case s.flags&(spanNoParent|spanRemote) != 0:
		return SpanID{}
	}
	_, p := infoOf(s.head().Context)
	return p.SpanID()
}

// carry returns the request ID and tracestate s carries: those of the
// context it derives from, kept where the span has room for them, else
// found above it: a chain of spans nobody needs is walked up to the first
// that keeps them (a loop, not a recursion: chains can be deep).
func (s *Span) carry() *reqInfo {
	for {
		switch {
		case s.flags&spanFull != 0:
			return s.full().carry
		case s.flags&spanRemote != 0:
			return (*remoteContext)(unsafe.Pointer(s.head())).carry
		}
		switch v := s.head().Context.Value(ctxKey{}).(type) {
		case *Span:
			s = v
		case *reqInfo:
			return v
		default:
			return nil
		}
	}
}

// state returns s's state: nil for a span nobody needed at its start,
// and for a remote parent.
func (s *Span) state() *spanState {
	if s == nil || s.flags&spanFull == 0 {
		return nil
	}
	return &s.full().st
}

// set stores the IDs of a new span: a new trace's (p == nil, the trace
// ID's halves hi and lo, and its root's derived ID), or p's trace's with
// id.
func (d *spanIDs) set(p *Span, hi, lo, id uint64) {
	if p == nil {
		binary.BigEndian.PutUint64(d.traceID[:8], hi)
		binary.BigEndian.PutUint64(d.traceID[8:], lo)
		id = rootSpanID(hi, lo)
	} else {
		d.traceID, _ = p.ids()
	}
	binary.BigEndian.PutUint64(d.id[:], id)
}
