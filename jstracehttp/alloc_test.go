package jstracehttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/jstracehttp"
)

// These tests guard the cost claims while nobody listens: the middleware
// allocates only for the request ID (its string, the header's slice, the
// context value and the request's copy with that context) and the span
// (its context, the X-Trace-ID header; the remote parent's context when
// the request carries one), layers and Error/Async nothing. Run on the
// normal build by make test's guard pattern.

// allocsPerRequest returns the allocations of one request through h, with
// the given request headers.
func allocsPerRequest(h http.Handler, header ...string) float64 {
	w := &plainWriter{http.Header{}}
	r := httptest.NewRequest("GET", "/users/7", nil)
	for i := 0; i < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return testing.AllocsPerRun(1000, func() {
		delete(w.h, "X-Request-Id")
		delete(w.h, "X-Trace-Id")
		h.ServeHTTP(w, r)
	})
}

const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

var final = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })

func TestMiddlewareDisabledAllocs(t *testing.T) {
	layered := jstracehttp.Middleware(jstracehttp.Layer("auth", passthrough)(jstracehttp.Handler("final", final)))
	// The incoming trace is sampled: with no exporter the span still does
	// not record.
	for _, tc := range []struct {
		name   string
		h      http.Handler
		header []string
		max    float64
	}{
		{"bare handler", final, nil, 0},
		{"layers alone", jstracehttp.Layer("auth", passthrough)(jstracehttp.Handler("final", final)), nil, 0},
		// ID string, header slice, context value (2), request copy; the
		// span's context, the X-Trace-ID header.
		{"middleware and layers, fresh ID", layered, nil, 5 + 2},
		// The incoming ID is reused: no string.
		{"middleware and layers, incoming ID", layered, []string{"X-Request-ID", "rid-1"}, 4 + 2},
		// The remote parent's context.
		{"middleware and layers, incoming trace", layered, []string{"X-Request-ID", "rid-1", "traceparent", traceparent}, 4 + 2 + 1},
		{"middleware and layers, incoming X-Trace-ID", layered,
			[]string{"X-Request-ID", "rid-1", "X-Trace-ID", traceparent[3:35], "X-Span-ID", traceparent[36:52]}, 4 + 2 + 1},
		{"middleware ignoring the incoming trace", jstracehttp.NewMiddleware(jstracehttp.Options{IgnoreIncomingTrace: true})(final),
			[]string{"X-Request-ID", "rid-1", "traceparent", traceparent}, 4 + 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := allocsPerRequest(tc.h, tc.header...); got > tc.max {
				t.Errorf("%v allocs per request, want at most %v", got, tc.max)
			}
		})
	}
}

func TestErrorAsyncDisabledAllocs(t *testing.T) {
	ctx := jstrace.WithRequestID(context.Background(), "rid-1")
	if got := testing.AllocsPerRun(1000, func() {
		jstracehttp.Error(ctx, errBoom)
		jstracehttp.Async(ctx)(nil)
	}); got != 0 {
		t.Errorf("Error and Async untraced: %v allocs", got)
	}
}

// countingTransport answers every request without the network.
type countingTransport struct{ resp http.Response }

func (c *countingTransport) RoundTrip(*http.Request) (*http.Response, error) { return &c.resp, nil }

func TestTransportDisabledAllocs(t *testing.T) {
	tr := jstracehttp.Transport(&countingTransport{resp: http.Response{StatusCode: 200, Body: http.NoBody}})
	req := httptest.NewRequest("GET", "http://example.com/", nil)
	if got := testing.AllocsPerRun(1000, func() { tr.RoundTrip(req) }); got != 0 {
		t.Errorf("no request ID, nobody listening: %v allocs", got)
	}
}

// With a span in the context, nobody listening and the trace not
// sampled, a request costs its client span (the context), the request's
// copy, its header map (the map and its table: two), the carrier of the
// injected headers (one allocation for their slices) and their values
// (one).
func TestTransportSpanAllocs(t *testing.T) {
	old := jstrace.Tracing()
	o := old
	o.Sampler = jstrace.NeverSample()
	jstrace.SetTracing(o)
	defer jstrace.SetTracing(old)
	tr := jstracehttp.Transport(&countingTransport{resp: http.Response{StatusCode: 200, Body: http.NoBody}})
	ctx, span := jstrace.StartSpan(context.Background(), "job")
	defer span.End()
	req := httptest.NewRequest("GET", "http://example.com/", nil).WithContext(ctx)
	if got := testing.AllocsPerRun(1000, func() { tr.RoundTrip(req) }); got > 6 {
		t.Errorf("client span, nobody listening: %v allocs, want at most 6", got)
	}
}
