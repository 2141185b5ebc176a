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
// context value and the request's copy with that context), layers and
// Error/Async nothing. Run on the normal build by make test's guard
// pattern.

// allocsPerRequest returns the allocations of one request through h.
func allocsPerRequest(h http.Handler, incoming string) float64 {
	w := &plainWriter{http.Header{}}
	r := httptest.NewRequest("GET", "/users/7", nil)
	if incoming != "" {
		r.Header.Set("X-Request-ID", incoming)
	}
	return testing.AllocsPerRun(1000, func() {
		delete(w.h, "X-Request-Id")
		h.ServeHTTP(w, r)
	})
}

var final = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })

func TestMiddlewareDisabledAllocs(t *testing.T) {
	layered := jstracehttp.Middleware(jstracehttp.Layer("auth", passthrough)(jstracehttp.Handler("final", final)))
	for _, tc := range []struct {
		name     string
		h        http.Handler
		incoming string
		max      float64
	}{
		{"bare handler", final, "", 0},
		{"layers alone", jstracehttp.Layer("auth", passthrough)(jstracehttp.Handler("final", final)), "", 0},
		// ID string, header slice, context value (2), request copy.
		{"middleware and layers, fresh ID", layered, "", 5},
		// The incoming ID is reused: no string.
		{"middleware and layers, incoming ID", layered, "rid-1", 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := allocsPerRequest(tc.h, tc.incoming); got > tc.max {
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
