package jstrace

import "context"

// ctxKey is the context key of a request's tracing identity.
type ctxKey struct{}

// reqInfo is what a context carries for probes: the request ID (and, with
// spans, the trace and span IDs). It is immutable once in a context.
type reqInfo struct {
	id string
}

// WithRequestID returns a copy of ctx carrying the request ID id, which
// [Probe.EmitContext] and [TraceContext] add to every event as the field
// "request_id". Middleware (package jstracehttp) calls it for every request;
// call it where requests come from elsewhere (a queue consumer, a job).
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, &reqInfo{id: id})
}

// RequestID returns the request ID ctx carries, or "" if none.
func RequestID(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	if r, ok := ctx.Value(ctxKey{}).(*reqInfo); ok {
		return r.id
	}
	return ""
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
// (zeroed on every call, so sized for common events): the context's two,
// a Channel's (pre) and the caller's. Longer events take emitLong.
const joinLen = 16

// emitContext fires p with the context's fields, then pre (a Channel's
// own fields), then kv, joined into one slice on the stack so that
// subscribers see them as one ([Event.Args]). Nothing here or below
// retains the buffer, pre, kv or what they point to (see noescape). It
// returns the event's time if it read the clock, else 0.
func (p *Probe) emitContext(subs []*Subscription, ctx context.Context, pre, kv []any) int64 {
	id := RequestID(ctx)
	n := len(pre) + len(kv)
	if id != "" {
		n += 2
	}
	if n > joinLen {
		return p.emitLong(subs, ctx, id, pre, kv)
	}
	var buf [joinLen]any
	i := 0
	if id != "" {
		buf[0], buf[1] = "request_id", id
		i = 2
	}
	i += copy(buf[i:], pre)
	i += copy(buf[i:], kv)
	return p.emit(subs, ctx, nil, noescape(buf[:i]))
}

// maxHead bounds the fields in front of the caller's: the context's two
// and a Channel's four ("error", "handled").
const maxHead = 6

// emitLong is emitContext for events of more than joinLen fields: joined
// on a bigger stack buffer while the event can still be plain (see
// [Event.Args]), else passed as a head and the caller's fields.
//
//go:noinline
func (p *Probe) emitLong(subs []*Subscription, ctx context.Context, id string, pre, kv []any) int64 {
	var buf [2*maxPlainPairs + maxHead]any
	i := 0
	if id != "" {
		buf[0], buf[1] = "request_id", id
		i = 2
	}
	i += copy(buf[i:], pre)
	if i+len(kv) > 2*maxPlainPairs {
		return p.emit(subs, ctx, noescape(buf[:i]), kv)
	}
	i += copy(buf[i:], kv)
	return p.emit(subs, ctx, nil, noescape(buf[:i]))
}
