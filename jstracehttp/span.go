package jstracehttp

import (
	"encoding/hex"
	"net/http"
	"net/textproto"
	"strings"
	"unsafe"

	"github.com/jstrace-go/jstrace"
)

// The spans of the middleware and the transport: their names, tags and
// outcome, and the headers that carry them.

// The span probes, to know whether anyone will see a span's name and
// error when it is not recorded (the registry returns the root package's
// probes).
var (
	spanStart = jstrace.NewProbe("span:start")
	spanEnd   = jstrace.NewProbe("span:end")
)

// spanWatched reports whether a session sees the span probes: a span's
// final name and error matter then even if it does not record.
func spanWatched() bool { return spanStart.Enabled() || spanEnd.Enabled() }

// spanMethod returns the method as spans name it: one of HTTP's nine, or
// "_OTHER" (OpenTelemetry's convention), so that a client inventing
// methods cannot make span names without bound.
func spanMethod(m string) string {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH":
		return m
	}
	return "_OTHER"
}

// spanName returns "method route", or the method alone while the route is
// unknown; "HTTP" stands for a method that is not one of HTTP's nine.
func spanName(method, route string) string {
	if method == "_OTHER" {
		method = "HTTP"
	}
	if route == "" {
		return method
	}
	return method + " " + route
}

// routePath returns the path of a ServeMux pattern ("[METHOD ][HOST]/PATH"):
// "/users/{id}" for "GET example.com/users/{id}".
func routePath(pattern string) string {
	if i := strings.IndexAny(pattern, " \t"); i >= 0 {
		pattern = strings.TrimLeft(pattern[i:], " \t")
	}
	if i := strings.IndexByte(pattern, '/'); i > 0 {
		pattern = pattern[i:]
	}
	return pattern
}

// endServerSpan ends the server span of a request that ran traced (see
// serveRequest), with its route, status and size, and its error: the
// panic that escaped, else for a 5xx the first error reported, else a
// [StatusError]. A 4xx is not the server's failure.
func endServerSpan(span *jstrace.Span, method, route string, status int, bytes int64, errs []reported, panicked any) {
	if span.IsRecording() || spanWatched() {
		route = routePath(route)
		if route != "" {
			span.SetName(spanName(method, route))
			span.SetTag("http.route", route)
		}
		if status != 0 {
			span.SetTag("http.response.status_code", status)
		}
		span.SetTag("http.response.body.size", bytes)
		switch {
		case panicked != nil:
			span.SetError(&PanicError{Value: panicked})
		case status >= 500 && len(errs) > 0:
			span.SetError(errs[0].err)
		case status >= 500:
			span.SetError(StatusError(status))
		}
	}
	span.End()
}

// traceIDHeader is the response header's value of one request: its
// slice and its digits in one allocation.
type traceIDHeader struct {
	v      [1]string
	digits [32]byte
}

// setTraceID sets the response header X-Trace-ID to the trace ID, for a
// user to quote.
func setTraceID(h http.Header, t jstrace.TraceID) {
	th := new(traceIDHeader)
	hex.Encode(th.digits[:], t[:])
	th.v[0] = unsafe.String(&th.digits[0], len(th.digits)) // never written again
	h[jstrace.HeaderTraceID] = th.v[:]
}

// propagationHeaders are the headers Inject writes; Transport replaces
// any of them a request already has, under any case of the name.
var propagationHeaders = [...]string{
	jstrace.HeaderTraceparent, jstrace.HeaderTracestate,
	jstrace.HeaderTraceID, jstrace.HeaderSpanID, jstrace.HeaderParentSpanID,
}

func isPropagationHeader(k string) bool {
	for _, p := range propagationHeaders {
		if len(k) == len(p) && strings.EqualFold(k, p) {
			return true
		}
	}
	return false
}

// headerCarrier injects into an http.Header, with the values' slices in
// one allocation (http.Header.Set makes one each).
type headerCarrier struct {
	h    http.Header
	n    int
	vals [len(propagationHeaders)]string
}

func (c *headerCarrier) Get(key string) string { return c.h.Get(key) }

func (c *headerCarrier) Set(key, value string) {
	key = textproto.CanonicalMIMEHeaderKey(key) // Inject's are already: no copy
	if c.n == len(c.vals) {
		c.h[key] = []string{value}
		return
	}
	c.vals[c.n] = value
	c.h[key] = c.vals[c.n : c.n+1 : c.n+1]
	c.n++
}

// incoming is a request's header as jstrace.Extract reads it: by the
// canonical keys it asks for (jstrace's Header constants), looked up
// directly, without http.Header's canonicalisation of the key on every
// lookup (a tenth of Middleware's cost).
type incoming http.Header

func (h incoming) Get(key string) string {
	if v := h.Values(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

func (h incoming) Values(key string) []string {
	if v, ok := h[key]; ok {
		return v
	}
	return http.Header(h).Values(key) // a key that is not canonical
}

func (h incoming) Set(key, value string) { http.Header(h).Set(key, value) }
