package jstracehttp_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/jstracehttp"
)

const (
	inTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	inSpan  = "00f067aa0ba902b7"
)

// spanLog collects the spans this process records until the test ends.
type spanLog struct {
	mu    sync.Mutex
	spans []*jstrace.SpanData
}

func recordSpans(t *testing.T) *spanLog {
	t.Helper()
	l := &spanLog{}
	t.Cleanup(jstrace.OnSpanEnd(func(d *jstrace.SpanData) {
		l.mu.Lock()
		l.spans = append(l.spans, d)
		l.mu.Unlock()
	}))
	return l
}

// one returns the only span recorded whose operation starts with prefix.
func (l *spanLog) one(t *testing.T, prefix string) *jstrace.SpanData {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var found []*jstrace.SpanData
	var all []string
	for _, d := range l.spans {
		all = append(all, d.Operation)
		if strings.HasPrefix(d.Operation, prefix) {
			found = append(found, d)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d spans %q..., want 1; all: %q", len(found), prefix, all)
	}
	return found[0]
}

func tag(d *jstrace.SpanData, key string) any {
	for _, f := range d.Tags {
		if f.Key == key {
			return f.Value
		}
	}
	return nil
}

// withSampler sets the process's sampler for the test.
func withSampler(t *testing.T, s jstrace.Sampler) {
	old := jstrace.Tracing()
	o := old
	o.Sampler = s
	jstrace.SetTracing(o)
	t.Cleanup(func() { jstrace.SetTracing(old) })
}

// usersMux routes GET /users/{id}; /fail answers 503 after reporting an
// error, /panic panics, /teapot answers 418.
func usersMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "user") })
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		jstracehttp.Error(r.Context(), errBoom)
		w.WriteHeader(503)
	})
	mux.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) { panic("kaboom") })
	mux.HandleFunc("/teapot", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(418) })
	return mux
}

// The server span continues the incoming trace (either header style),
// is named after the route once known, tagged, fails on 5xx and panics,
// and its trace ID is in the response's X-Trace-ID.
func TestMiddlewareServerSpan(t *testing.T) {
	spans := recordSpans(t)
	srv := serve(t, jstracehttp.Middleware(usersMux()))
	tp := "00-" + inTrace + "-" + inSpan + "-01"
	for _, tc := range []struct {
		name    string
		path    string
		header  http.Header
		op      string
		status  int
		err     string
		newTrac bool
	}{
		{"traceparent", "/users/7", http.Header{"Traceparent": {tp}}, "GET /users/{id}", 200, "", false},
		{"x headers", "/users/7", http.Header{"X-Trace-Id": {inTrace}, "X-Span-Id": {inSpan}}, "GET /users/{id}", 200, "", false},
		{"no trace", "/users/7", nil, "GET /users/{id}", 200, "", true},
		{"malformed traceparent", "/users/7", http.Header{"Traceparent": {"00-" + strings.ToUpper(inTrace) + "-" + inSpan + "-01"}}, "GET /users/{id}", 200, "", true},
		{"malformed x header", "/users/7", http.Header{"X-Trace-Id": {inTrace + "zz"}, "X-Span-Id": {inSpan}}, "GET /users/{id}", 200, "", true},
		{"5xx with a reported error", "/fail", http.Header{"Traceparent": {tp}}, "GET /fail", 503, "boom", false},
		{"panic", "/panic", http.Header{"Traceparent": {tp}}, "GET /panic", 0, "panic: kaboom", false},
		{"4xx is not a server error", "/teapot", http.Header{"Traceparent": {tp}}, "GET /teapot", 418, "", false},
		{"no route", "/nowhere", http.Header{"Traceparent": {tp}}, "GET", 404, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spans.mu.Lock()
			spans.spans = nil
			spans.mu.Unlock()
			req, _ := http.NewRequest("GET", srv.URL+tc.path, nil)
			req.Close = true // a new connection: no retry of the panic's request
			for k, v := range tc.header {
				req.Header[k] = v
			}
			resp, err := srv.Client().Do(req)
			if tc.status == 0 {
				if err == nil { // net/http aborts the response of a panic
					resp.Body.Close()
					t.Fatal("panicking handler answered")
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			d := spans.one(t, "GET")
			if d.Operation != tc.op {
				t.Errorf("operation %q, want %q", d.Operation, tc.op)
			}
			if tc.newTrac {
				if d.TraceID.String() == inTrace || d.ParentID.IsValid() || d.RemoteParent {
					t.Errorf("continued a trace: trace %s parent %s", d.TraceID, d.ParentID)
				}
			} else if d.TraceID.String() != inTrace || d.ParentID.String() != inSpan || !d.RemoteParent {
				t.Errorf("trace %s parent %s remote %v, want %s %s remote", d.TraceID, d.ParentID, d.RemoteParent, inTrace, inSpan)
			}
			if resp != nil && resp.Header.Get("X-Trace-ID") != d.TraceID.String() {
				t.Errorf("response X-Trace-ID %q, want %s", resp.Header.Get("X-Trace-ID"), d.TraceID)
			}
			if tc.status != 0 && tag(d, "http.response.status_code") != tc.status {
				t.Errorf("status tag %v, want %d", tag(d, "http.response.status_code"), tc.status)
			}
			if tag(d, "http.request.method") != "GET" || tag(d, "url.path") != tc.path || tag(d, "span.kind") != "server" {
				t.Errorf("tags %v", d.Tags)
			}
			gotErr := ""
			if d.Error != nil {
				gotErr = d.Error.Message
			}
			if gotErr != tc.err {
				t.Errorf("error %q, want %q", gotErr, tc.err)
			}
		})
	}
}

// With IgnoreIncomingTrace every request starts a trace: an outside
// client cannot choose the trace ID nor force sampling.
func TestMiddlewareIgnoreIncomingTrace(t *testing.T) {
	withSampler(t, jstrace.NeverSample())
	var got *jstrace.Span
	h := jstracehttp.NewMiddleware(jstracehttp.Options{IgnoreIncomingTrace: true})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = jstrace.SpanFromContext(r.Context())
	}))
	srv := serve(t, h)
	get(t, srv, "/", http.Header{"Traceparent": {"00-" + inTrace + "-" + inSpan + "-01"}})
	if got.TraceID().String() == inTrace || got.ParentID().IsValid() || got.IsSampled() {
		t.Errorf("incoming trace followed: trace %s parent %s sampled %v", got.TraceID(), got.ParentID(), got.IsSampled())
	}
}

// Events under the middleware carry the server span's IDs, and a span
// the handler starts is its child.
func TestMiddlewareSpanInContext(t *testing.T) {
	rec := listen(t, "http:request")
	var server, child *jstrace.Span
	srv := serve(t, jstracehttp.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		server = jstrace.SpanFromContext(r.Context())
		_, child = jstrace.StartSpan(r.Context(), "db query")
		child.End()
	})))
	get(t, srv, "/", http.Header{"Traceparent": {"00-" + inTrace + "-" + inSpan + "-00"}})
	check(t, rec.one(t, "http:request:start"), map[string]any{"trace_id": inTrace, "span_id": server.SpanID().String()})
	check(t, rec.one(t, "http:request:end"), map[string]any{"trace_id": inTrace, "span_id": server.SpanID().String()})
	if child.ParentID() != server.SpanID() || child.TraceID() != server.TraceID() || child.IsSampled() {
		t.Errorf("child of %s/%s: %s/%s sampled %v", server.TraceID(), server.SpanID(), child.TraceID(), child.ParentID(), child.IsSampled())
	}
}

// echoHeaders answers with the propagation headers it received, one per
// line, and 500 for /fail.
var echoHeaders = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/fail" {
		w.WriteHeader(500)
	}
	for _, k := range []string{"Traceparent", "Tracestate", "X-Trace-Id", "X-Span-Id", "X-Parent-Span-Id", "X-Request-Id"} {
		io.WriteString(w, k+"="+strings.Join(r.Header.Values(k), "|")+"\n")
	}
})

// The client span is the child of the context's span, its IDs are in the
// request's headers (replacing any the caller set), it ends when the body
// is closed, and fails on errors and statuses of 400 and more.
func TestTransportClientSpan(t *testing.T) {
	spans := recordSpans(t)
	srv := serve(t, echoHeaders)
	client := &http.Client{Transport: jstracehttp.Transport(srv.Client().Transport)}
	defer client.CloseIdleConnections()

	ctx := jstrace.WithRequestID(context.Background(), "rid-3")
	ctx, parent := jstrace.StartSpan(ctx, "handle")
	defer parent.End()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/a", nil)
	req.Header.Set("traceparent", "00-"+strings.Repeat("1", 32)+"-"+strings.Repeat("2", 16)+"-00")
	req.Header["x-span-id"] = []string{"stale"}
	before := req.Header.Clone()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if len(spans.spans) != 0 {
		t.Error("client span ended before the body was closed")
	}
	resp.Body.Close()
	d := spans.one(t, "GET")
	host := strings.TrimPrefix(srv.URL, "http://")
	if d.Operation != "GET "+host || d.ParentID != parent.SpanID() || d.TraceID != parent.TraceID() || d.Error != nil {
		t.Errorf("client span %q parent %s trace %s error %v", d.Operation, d.ParentID, d.TraceID, d.Error)
	}
	want := "Traceparent=00-" + d.TraceID.String() + "-" + d.SpanID.String() + "-01\nTracestate=\n" +
		"X-Trace-Id=" + d.TraceID.String() + "\nX-Span-Id=" + d.SpanID.String() + "\nX-Parent-Span-Id=" + parent.SpanID().String() +
		"\nX-Request-Id=rid-3\n"
	if string(b) != want {
		t.Errorf("server saw\n%s\nwant\n%s", b, want)
	}
	if len(req.Header) != len(before) || req.Header.Get("traceparent") != before.Get("traceparent") {
		t.Errorf("caller's request changed: %v", req.Header)
	}
	if tag(d, "http.response.status_code") != 200 || tag(d, "server.address") != host || tag(d, "span.kind") != "client" {
		t.Errorf("tags %v", d.Tags)
	}

	// A 500 fails the span; so does a connection refused.
	req, _ = http.NewRequestWithContext(ctx, "GET", srv.URL+"/fail", nil)
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	req, _ = http.NewRequestWithContext(ctx, "POST", "http://"+dead+"/", nil)
	if _, err := client.Do(req); err == nil {
		t.Fatal("request to a closed port succeeded")
	}
	for _, tc := range []struct{ op, err string }{{"GET " + host, "http status 500 Internal Server Error"}, {"POST " + dead, "connect"}} {
		var found bool
		spans.mu.Lock()
		for _, d := range spans.spans {
			if d.Operation == tc.op && d.Error != nil && strings.Contains(d.Error.Message, tc.err) {
				found = true
			}
		}
		spans.mu.Unlock()
		if !found {
			t.Errorf("no span %q failed with %q", tc.op, tc.err)
		}
	}
}

// Two jstrace services: the server's span is the child of the client's,
// in the client's trace, with its sampling decision; with the Redis-style
// headers alone too, whose lack of a sampled flag leaves the decision to
// the server's sampler.
func TestTransportToMiddleware(t *testing.T) {
	withSampler(t, jstrace.NeverSample())
	spans := recordSpans(t)
	var server *jstrace.Span
	srv := serve(t, jstracehttp.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		server = jstrace.SpanFromContext(r.Context())
	})))
	for _, stripW3C := range []bool{false, true} {
		spans.mu.Lock()
		spans.spans = nil
		spans.mu.Unlock()
		base := srv.Client().Transport
		if stripW3C { // as a Redis-style tracer's service would send it
			base = roundTripFunc(func(r *http.Request) (*http.Response, error) {
				r = r.Clone(r.Context())
				r.Header.Del("Traceparent")
				return srv.Client().Transport.RoundTrip(r)
			})
		}
		client := &http.Client{Transport: jstracehttp.Transport(base)}
		ctx := jstrace.ContextWithRemoteParent(context.Background(), jstrace.SpanContext{
			TraceID: mustTrace(t, inTrace), SpanID: mustSpan(t, inSpan), Sampled: true,
		})
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		srv.Client().CloseIdleConnections()
		c := spans.one(t, "GET 127.0.0.1")
		if server.TraceID().String() != inTrace || server.ParentID() != c.SpanID || c.ParentID.String() != inSpan {
			t.Errorf("w3c stripped %v: server span %s parent %s; client span %s", stripW3C, server.TraceID(), server.ParentID(), c.SpanID)
		}
		if server.IsSampled() == stripW3C {
			t.Errorf("w3c stripped %v: server sampled %v", stripW3C, server.IsSampled())
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func mustTrace(t *testing.T, s string) jstrace.TraceID {
	t.Helper()
	id, err := jstrace.ParseTraceID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustSpan(t *testing.T, s string) jstrace.SpanID {
	t.Helper()
	id, err := jstrace.ParseSpanID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
