package jstracehttp

import (
	"context"
	"net/http"
	"net/textproto"

	"github.com/jstrace-go/jstrace"
)

// Options configure [NewMiddleware]. The zero value is what [Middleware]
// uses. NewMiddleware copies it: changing it afterwards has no effect.
type Options struct {
	// Header names the request and response header carrying the request
	// ID. Default "X-Request-ID".
	Header string

	// NewID returns a fresh request ID, for requests without a valid one
	// (or every request, with IgnoreIncoming). It is called concurrently.
	// An ID it returns that fails [ValidRequestID] is replaced by one from
	// [NewRequestID], so a bad generator cannot corrupt the header.
	// Default [NewRequestID].
	NewID func() string

	// IgnoreIncoming makes the middleware give every request a fresh ID,
	// for services whose clients must not choose the ID that ties their
	// events together. Default false: a valid incoming ID is kept (one
	// header value, see [ValidRequestID]), so a request keeps its ID across
	// services.
	IgnoreIncoming bool

	// IgnoreIncomingTrace makes every request start a new trace, ignoring
	// the incoming traceparent, tracestate, X-Trace-ID and X-Span-ID. Set
	// it on a public edge: there, clients outside choose those headers,
	// so they could join their requests to other traces and, with
	// traceparent's sampled flag, make this service (and every one
	// behind it) record and export all of their requests whatever the
	// Sampler says. Default false: the incoming trace is continued (with
	// its sampling decision), as services behind an edge need.
	IgnoreIncomingTrace bool
}

// Middleware is NewMiddleware(Options{})(next): it gives every request an
// ID and a server span continuing the caller's trace, and traces its
// lifecycle on the Channel "http:request". See the package documentation.
func Middleware(next http.Handler) http.Handler {
	return NewMiddleware(Options{})(next)
}

// NewMiddleware returns the request middleware configured by o: for every
// request it
//
//   - keeps the request ID an outer Middleware put in the context, else
//     takes it from the incoming header if valid, else makes a fresh one
//     (a malformed or oversized value is dropped, never echoed, and the
//     request's header is set to the fresh ID so a proxy does not forward
//     the rejected one);
//   - puts it in the request's context ([jstrace.RequestID] reads it there)
//     and in the response's header;
//   - starts a server span, the child of the caller's span if the request
//     carries one ([jstrace.Extract]: W3C traceparent, else X-Trace-ID and
//     X-Span-ID; unless IgnoreIncomingTrace) or of a span the request's
//     context already holds, else the root of a new trace; puts it in the
//     request's context, so every event under it carries trace_id and
//     span_id and spans started there are its children; and sets the
//     response's X-Trace-ID header to its trace ID. The span is named
//     after the method ("GET") until the route is known, then "GET
//     /users/{id}"; it is tagged http.request.method, url.path,
//     http.route, http.response.status_code and http.response.body.size,
//     and fails on a 5xx response (with the first error reported by
//     [Error], else a [StatusError]) or a panic (a [PanicError]);
//   - while a session or subscriber listens, fires http:request:start,
//     :end, :error, :asyncStart and :asyncEnd (see the package
//     documentation for fields and error semantics).
//
// The handler it returns is safe for concurrent use.
func NewMiddleware(o Options) func(http.Handler) http.Handler {
	m := middleware{header: "X-Request-Id", newID: o.NewID, trust: !o.IgnoreIncoming, extract: !o.IgnoreIncomingTrace}
	if o.Header != "" {
		m.header = textproto.CanonicalMIMEHeaderKey(o.Header)
	}
	return func(next http.Handler) http.Handler {
		m := m
		m.next = next
		return &m
	}
}

type middleware struct {
	next    http.Handler
	header  string // canonical
	newID   func() string
	trust   bool // the incoming request ID
	extract bool // the incoming trace context
}

// requestCh is the lifecycle of every request through the middleware.
var requestCh = jstrace.NewChannel("http:request")

func (m *middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := m.requestID(r)
	w.Header()[m.header] = []string{id}
	if v := r.Header[m.header]; v != nil && (len(v) != 1 || v[0] != id) {
		// The incoming value was rejected or ignored: the request carries
		// the ID chosen, so a proxy or client forwarding r.Header does not
		// pass the rejected one on. The caller's header map is not changed.
		r2 := *r
		r2.Header = r.Header.Clone()
		r2.Header[m.header] = []string{id}
		r = &r2
	}
	ctx := r.Context()
	if m.extract && jstrace.SpanFromContext(ctx) == nil {
		ctx = jstrace.Extract(ctx, incoming(r.Header))
	}
	method := spanMethod(r.Method)
	ctx, span := jstrace.StartSpan(jstrace.WithRequestID(ctx, id), spanName(method, ""),
		"span.kind", "server", "http.request.method", method, "url.path", r.URL.Path)
	setTraceID(w.Header(), span.TraceID())
	if !requestCh.Enabled() && !layerCh.Enabled() && !span.IsRecording() && !spanWatched() {
		// Nobody will see the span: nothing to end, nothing to measure.
		m.next.ServeHTTP(w, r.WithContext(ctx))
		return
	}
	serveRequest(ctx, w, r, m.next, span, method)
}

// requestID returns the ID of the request: one a Middleware further out
// already gave it (in its context), its valid incoming ID or a fresh one.
func (m *middleware) requestID(r *http.Request) string {
	if id := jstrace.RequestID(r.Context()); id != "" && ValidRequestID(id) {
		return id
	}
	if m.trust {
		if v := r.Header[m.header]; len(v) == 1 && ValidRequestID(v[0]) {
			return v[0]
		}
	}
	if m.newID != nil {
		if id := m.newID(); ValidRequestID(id) {
			return id
		}
	}
	return NewRequestID()
}

// serveRequest is the traced request: its own frame on requestCh, the
// root of the request's layers, and its span's outcome. ctx is r's
// context with the request ID and span.
func serveRequest(ctx context.Context, w http.ResponseWriter, r *http.Request, next http.Handler, span *jstrace.Span, method string) {
	st := newState(w)
	r = r.WithContext(context.WithValue(ctx, stateKey{}, st)) // one copy of r for both values
	rec := &st.rec
	st.setRoute(r.Pattern)
	st.req = requestCh.Start(r.Context(), "method", r.Method, "path", r.URL.Path, "route", r.Pattern)
	normal := false
	defer func() {
		var p any
		if !normal {
			p = recover()
			st.unwound(nil, p)
		}
		st.setRoute(r.Pattern)
		route := st.getRoute()
		status, bytes, hijacked := rec.final(p != nil)
		errs, dropped := st.close()
		st.fireAll(errs, route, status, hijacked, p != nil)
		endServerSpan(span, method, route, status, bytes, errs, p)
		switch {
		case dropped > 0:
			st.req.End("route", route, "status", status, "bytes", bytes, "hijacked", hijacked, "errors_dropped", dropped)
		case hijacked:
			st.req.End("route", route, "status", status, "bytes", bytes, "hijacked", true)
		default:
			st.req.End("route", route, "status", status, "bytes", bytes)
		}
		if p != nil {
			panic(p)
		}
	}()
	next.ServeHTTP(rec.wrap(), r)
	normal = true
}
