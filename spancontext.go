package jstrace

import "context"

// A SpanContext is the part of a span that crosses process boundaries:
// its trace and span IDs, whether its trace is sampled, and the W3C
// tracestate its trace carries. [Inject] writes it into headers,
// [Extract] reads it back, and [ContextWithRemoteParent] makes one the
// parent of the spans a context will start (for transports Inject and
// Extract do not cover, or conversions from other tracers).
//
// It is a value: copy it, compare it, use it from any goroutine.
type SpanContext struct {
	TraceID TraceID
	SpanID  SpanID
	// Sampled is whether the trace is sampled (traceparent's flag 01).
	Sampled bool
	// TraceState is the W3C tracestate of the trace: vendors' opaque
	// key=value list, "" if none.
	TraceState string
	// Remote is whether the span is in another process (it came from
	// Extract or ContextWithRemoteParent).
	Remote bool
}

// IsValid reports whether sc has a valid (not all zero) trace ID and span
// ID.
func (sc SpanContext) IsValid() bool { return sc.TraceID.IsValid() && sc.SpanID.IsValid() }

// SpanContext returns the span's SpanContext; the zero SpanContext for a
// nil span.
func (s *Span) SpanContext() SpanContext {
	if s == nil {
		return SpanContext{}
	}
	t, id := s.ids()
	return SpanContext{
		TraceID:    t,
		SpanID:     id,
		Sampled:    s.flags&spanSampled != 0,
		TraceState: s.carry().traceState(),
		Remote:     s.kind == kindRemote,
	}
}

// ContextWithRemoteParent returns a copy of ctx whose spans continue sc's
// trace: the next [StartSpan] on it starts a child of sc, with sc's trace
// ID, sampled flag and tracestate (the sampler is not asked: the trace was
// decided at its root). [SpanFromContext] returns sc as a remote span,
// whose methods other than the IDs' do nothing. The request ID ctx
// carries, if any, is kept.
//
// If sc is not valid (a zero trace or span ID) ctx is returned unchanged,
// so the next span starts a new trace. A TraceState that is not a valid
// W3C tracestate within its bounds (see [Extract]) is dropped; sc.Remote
// is ignored. It costs one allocation, the context.
func ContextWithRemoteParent(ctx context.Context, sc SpanContext) context.Context {
	if !sc.IsValid() {
		return ctx
	}
	return withRemoteParent(ctx, sc.TraceID, sc.SpanID, sc.Sampled, cleanTraceState(sc.TraceState))
}

// withRemoteParent is ContextWithRemoteParent for IDs known to be valid
// and a tracestate known to be clean.
func withRemoteParent(ctx context.Context, t TraceID, id SpanID, sampled bool, state string) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	info, _ := infoOf(ctx)
	if state != info.traceState() { // a second allocation only for a tracestate
		info = &reqInfo{id: info.requestID(), state: state}
	}
	c := &remoteContext{spanHead: spanHead{Context: ctx}, carry: info}
	c.ids.traceID, c.ids.id = t, id
	c.span.kind = kindRemote
	if sampled {
		c.span.flags = spanSampled
	}
	return c
}
