package jstracehttp

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/jstrace-go/jstrace"
)

// clientCh is the lifecycle of every request through Transport.
var clientCh = jstrace.NewChannel("http:client")

// Transport returns a RoundTripper that sends requests through base
// (http.DefaultTransport if nil), and
//
//   - if the request's context holds a span ([jstrace.SpanFromContext]),
//     starts a client span, its child, named "GET host" (the method
//     alone while nobody will see the name: the trace is not sampled and
//     no session watches span probes), tagged http.request.method,
//     server.address, url.path and http.response.status_code; sends the
//     request with it in its context and in its headers
//     ([jstrace.Inject]: traceparent, tracestate, X-Trace-ID, X-Span-ID,
//     X-Parent-Span-ID, replacing any the request had under any case of
//     the names), so the server's span is its child; and ends it when the
//     caller closes the response's body (at once for a response without
//     one). It fails on an error, a failed body read or a status of 400
//     or more (OpenTelemetry's rule for clients). Without a span in the
//     context no span starts: start one for work that is not a request
//     (a job, a command) to trace its calls;
//   - forwards the request ID of the request's context ([jstrace.RequestID])
//     as the header X-Request-ID, if it is valid ([ValidRequestID]) and the
//     request has no valid one yet (an invalid or repeated value, under
//     any case of the name, is replaced), on a copy of the request (the
//     caller's is never changed);
//   - while a session or subscriber listens, fires http:client:start
//     (method, host, path), http:client:end when base returns (status,
//     or the error; "duration" is the time to the response's headers),
//     and, for a response with a body, http:client:asyncStart then
//     http:client:asyncEnd when the caller closes the body ("bytes" read,
//     "duration" since start). A failed round trip or body read fires
//     http:client:error. A 4xx or 5xx response is not an error here: it is
//     in "status".
//
// The request is copied, with a copy of its header map (sharing the
// values' slices, which no RoundTripper may modify); the caller's is
// never changed. While nobody listens and the context has neither a
// request ID nor a span it calls base directly. Use it as an http.Client's Transport; it is safe for
// concurrent use if base is.
func Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base}
}

type transport struct {
	base http.RoundTripper
}

const requestIDHeader = "X-Request-Id"

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if span := jstrace.SpanFromContext(ctx); span != nil {
		return t.spanned(req, span)
	}
	if id := jstrace.RequestID(ctx); id != "" && !hasValidID(req.Header) && ValidRequestID(id) {
		r := *req
		r.Header = req.Header.Clone()
		if r.Header == nil {
			r.Header = make(http.Header, 1)
		}
		setRequestID(r.Header, id)
		req = &r
	}
	if !clientCh.Enabled() {
		return t.base.RoundTrip(req)
	}
	return t.traced(req, nil)
}

// setRequestID sets h's X-Request-ID, under the canonical name only.
func setRequestID(h http.Header, id string) {
	for k := range h {
		if strings.EqualFold(k, requestIDHeader) {
			delete(h, k)
		}
	}
	h[requestIDHeader] = []string{id}
}

// hasValidID reports whether h carries one valid request ID, under
// X-Request-ID in any case (a caller may set a non-canonical key
// directly).
func hasValidID(h http.Header) bool {
	n := 0
	ok := false
	for k, v := range h {
		if len(k) == len(requestIDHeader) && strings.EqualFold(k, requestIDHeader) {
			n += len(v)
			ok = len(v) == 1 && ValidRequestID(v[0])
		}
	}
	return n == 1 && ok
}

// hostPath returns the request's host and path.
func hostPath(req *http.Request) (host, path string) {
	host = req.Host
	if host == "" && req.URL != nil {
		host = req.URL.Host
	}
	if req.URL != nil {
		path = req.URL.Path
	}
	return host, path
}

// traced sends req (its copy with the headers, if it was copied) and
// fires the http:client events while the channel has listeners; span,
// if not nil, is the client span, ended with the response's body.
func (t *transport) traced(req *http.Request, span *jstrace.Span) (*http.Response, error) {
	host, path := hostPath(req)
	op := clientCh.Start(req.Context(), "method", req.Method, "host", host, "path", path)
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		op.Error(err, false, "method", req.Method, "host", host)
		op.End("status", 0)
		span.SetError(err)
		span.End()
		return resp, err
	}
	op.End("status", resp.StatusCode)
	if span != nil {
		span.SetTag("http.response.status_code", resp.StatusCode)
		if resp.StatusCode >= 400 {
			span.SetError(StatusError(resp.StatusCode))
		}
	}
	if resp.Body == nil || resp.Body == http.NoBody {
		span.End()
		return resp, nil
	}
	op.AsyncStart()
	b := &body{ReadCloser: resp.Body, op: op, span: span}
	if w, ok := resp.Body.(io.Writer); ok { // a 101 upgrade's connection
		resp.Body = &rwBody{b, w}
	} else {
		resp.Body = b
	}
	return resp, nil
}

// CloseIdleConnections closes base's idle connections if it can, for
// http.Client.CloseIdleConnections.
func (t *transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// A body is a traced response's body: reading it is the round trip's
// async part, ended by Close, which also ends the client span. Read and Close may race as on any body.
type body struct {
	io.ReadCloser
	op   jstrace.Op
	span *jstrace.Span // nil without a client span
	mu   sync.Mutex
	n    int64
	err  error // the first read error other than EOF
	once sync.Once
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.mu.Lock()
	b.n += int64(n)
	if err != nil && b.err == nil && !errors.Is(err, io.EOF) {
		b.err = err
	}
	b.mu.Unlock()
	return n, err
}

func (b *body) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(func() {
		b.mu.Lock()
		n, rerr := b.n, b.err
		b.mu.Unlock()
		b.op.Error(rerr, false)
		b.op.AsyncEnd("bytes", n)
		if rerr != nil {
			b.span.SetError(rerr)
		}
		b.span.End()
	})
	return err
}

// rwBody is a body that is also the connection's writer (101 responses).
type rwBody struct {
	*body
	w io.Writer
}

func (b *rwBody) Write(p []byte) (int, error) { return b.w.Write(p) }
