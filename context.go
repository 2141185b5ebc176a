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

// maxContextFields bounds the fields EmitContext adds in front of the
// caller's (request_id, and with spans trace_id and span_id: key and value
// each).
const maxContextFields = 6

// EmitContext is [Probe.Emit] for code that has a request's context: it adds
// the field "request_id" from ctx (see [WithRequestID]) in front of kv,
// when ctx carries one. While no session subscribes it returns after one
// atomic load, without reading ctx.
func (p *Probe) EmitContext(ctx context.Context, kv ...any) {
	subs := p.subs.Load()
	if subs == nil {
		return
	}
	p.emitContext(*subs, ctx, noescape(kv))
}

// TraceContext is [Trace] with the context's fields, as [Probe.EmitContext].
func TraceContext(ctx context.Context, name string, kv ...any) {
	if probes.active.Load() == 0 {
		return
	}
	p := probes.lookup(name)
	if p == nil {
		return
	}
	subs := p.subs.Load()
	if subs == nil {
		return
	}
	p.emitContext(*subs, ctx, noescape(kv))
}

// emitContext prepends the context's fields to kv, on the stack for
// common sizes.
func (p *Probe) emitContext(subs []*Subscription, ctx context.Context, kv []any) {
	id := RequestID(ctx)
	if id == "" {
		p.emit(subs, kv)
		return
	}
	var buf [maxContextFields + 16]any
	all := append(noescape(buf[:0]), "request_id", id)
	all = append(all, kv...)
	p.emit(subs, all)
}
