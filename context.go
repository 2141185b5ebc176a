package jstrace

import (
	"context"
	"unsafe"
)

// ctxKey is the context key of a request's tracing identity.
type ctxKey struct{}

// reqInfo is what a context of WithRequestID carries for probes: the
// request ID and the span of the context it derives from, found by one
// lookup; and what spans started under it share (Span.carry): the request
// ID and the W3C tracestate of the trace. A lean child that keeps no
// pointer to it finds it through its parent (spankinds.go). It is
// immutable once in a context.
type reqInfo struct {
	id    string
	state string
	span  *Span // of the context WithRequestID derived from; nil in a span's carry
}

// infoOf returns what ctx carries for probes: the request ID and
// tracestate, and the span. Either may be nil.
func infoOf(ctx context.Context) (*reqInfo, *Span) {
	if ctx == nil {
		return nil, nil
	}
	v := ctx.Value(ctxKey{})
	return infoIn(v), spanIn(v)
}

// spanIn returns the span of v, what a context answers for ctxKey: a
// span's context answers its *Span, a WithRequestID context its *reqInfo,
// which holds the span of the context it derives from.
func spanIn(v any) *Span {
	switch v := v.(type) {
	case *Span:
		return v
	case *reqInfo:
		return v.span
	}
	return nil
}

// infoIn returns the request ID and tracestate of v, as spanIn reads v.
func infoIn(v any) *reqInfo {
	switch v := v.(type) {
	case *Span:
		return v.carry()
	case *reqInfo:
		return v
	}
	return nil
}

// requestID is r's request ID, "" for a nil r.
func (r *reqInfo) requestID() string {
	if r == nil {
		return ""
	}
	return r.id
}

// traceState is r's tracestate, "" for a nil r.
func (r *reqInfo) traceState() string {
	if r == nil {
		return ""
	}
	return r.state
}

// WithRequestID returns a copy of ctx carrying the request ID id, which
// [Probe.EmitContext] and [TraceContext] add to every event as the field
// "request_id". Middleware (package jstracehttp) calls it for every request;
// call it where requests come from elsewhere (a queue consumer, a job).
func WithRequestID(ctx context.Context, id string) context.Context {
	old, span := infoOf(ctx)
	return context.WithValue(ctx, ctxKey{}, &reqInfo{id: id, state: old.traceState(), span: span})
}

// RequestID returns the request ID ctx carries, or "" if none.
func RequestID(ctx context.Context) string {
	r, _ := infoOf(ctx)
	return r.requestID()
}

// EmitContext is [Probe.Emit] for code that has a request's context: it adds
// the field "request_id" from ctx (see [WithRequestID]) in front of kv,
// when ctx carries one, and hands ctx to in-process subscribers
// ([Event.Context]). While no session subscribes it returns after one
// atomic load, without reading ctx; enabled, it allocates nothing either.
func (p *Probe) EmitContext(ctx context.Context, kv ...any) {
	subs := p.subs.Load()
	if subs == nil {
		return
	}
	p.emitContext(*subs, ctx, nil, noescape(kv))
}

// TraceContext is [Trace] with the context's fields, as [Probe.EmitContext]:
// the same costs as Trace while nobody subscribes to name.
func TraceContext(ctx context.Context, name string, kv ...any) {
	if probes.active.Load() != 0 { // inlined, as Trace
		traceContext(ctx, name, kv)
	}
}

// traceContext is TraceContext once a session is attached.
func traceContext(ctx context.Context, name string, kv []any) {
	if p, subs := subscribed(name); p != nil {
		p.emitContext(subs, ctx, nil, noescape(kv))
	}
}

// joinLen is how many fields emitContext joins in a buffer on its stack
// (zeroed on every call, so sized for common events): the context's six,
// a Channel's (pre) and the caller's. Longer events take emitLong.
const joinLen = 20

// emitContext fires p with the context's fields (request_id, trace_id,
// span_id), then pre (a Channel's or a span's own fields), then kv, joined
// into one slice on the stack so that subscribers see them as one
// ([Event.Args]). Nothing here or below retains the buffer, pre, kv or
// what they point to (see noescape); the IDs' hex digits are on this
// stack too. It returns the event's time if it read the clock, else 0.
func (p *Probe) emitContext(subs []*Subscription, ctx context.Context, pre, kv []any) int64 {
	var head [6]any
	var trace [32]byte
	var span [16]byte
	h := 0
	info, s := infoOf(ctx)
	if id := info.requestID(); id != "" {
		head[0], head[1] = "request_id", id
		h = 2
	}
	if s != nil {
		t, id := s.ids()
		head[h], head[h+1] = "trace_id", stackString(appendHex(trace[:0], t[:]))
		head[h+2], head[h+3] = "span_id", stackString(appendHex(span[:0], id[:]))
		h += 4
	}
	if h+len(pre)+len(kv) > joinLen {
		return p.emitLong(subs, ctx, noescape(head[:h]), pre, kv)
	}
	var buf [joinLen]any
	i := copy(buf[:], noescape(head[:h]))
	i += copy(buf[i:], pre)
	i += copy(buf[i:], kv)
	return p.emit(subs, ctx, nil, noescape(buf[:i]))
}

// stackString returns b's bytes as a string without copying them, hidden
// from escape analysis as noescape hides slices: for hex digits on an
// event's stack, lent to subscribers like every other field.
func stackString(b []byte) string {
	return unsafe.String(launder(unsafe.SliceData(b)), len(b))
}

// maxHead bounds the fields in front of the caller's: the context's six
// and a span's or a Channel's (span:end has ten).
const maxHead = 16

// emitLong is emitContext for events of more than joinLen fields: joined
// on a bigger stack buffer while the event can still be plain (see
// [Event.Args]), else passed as a head and the caller's fields.
//
//go:noinline
func (p *Probe) emitLong(subs []*Subscription, ctx context.Context, head, pre, kv []any) int64 {
	var buf [2*maxPlainPairs + maxHead]any
	i := copy(buf[:], head)
	i += copy(buf[i:], pre)
	if i+len(kv) > 2*maxPlainPairs {
		return p.emit(subs, ctx, noescape(buf[:i]), kv)
	}
	i += copy(buf[i:], kv)
	return p.emit(subs, ctx, nil, noescape(buf[:i]))
}
