package jstracehttp_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/jstracehttp"
)

type bodyTransport struct {
	resp http.Response
	body io.ReadCloser
}

func (b *bodyTransport) RoundTrip(*http.Request) (*http.Response, error) {
	b.resp.Body = b.body
	return &b.resp, nil
}

// doc.go (Costs): "Transport ... with a span the client span, the request
// copy, its header map and the injected headers (6 allocations)". The
// guard (TestTransportSpanAllocs) uses http.NoBody; a response with a
// body, what every real response has, costs the body's wrapper too, and
// under Middleware (a request ID in the context) the X-Request-Id value.
func TestReviewTransportSpanAllocsWithBody(t *testing.T) {
	old := jstrace.Tracing()
	o := old
	o.Sampler = jstrace.NeverSample()
	jstrace.SetTracing(o)
	defer jstrace.SetTracing(old)
	tr := jstracehttp.Transport(&bodyTransport{resp: http.Response{StatusCode: 200}, body: io.NopCloser(strings.NewReader(""))})
	ctx, span := jstrace.StartSpan(jstrace.WithRequestID(context.Background(), "req-1"), "job")
	defer span.End()
	req := httptest.NewRequest("GET", "http://example.com/", nil).WithContext(ctx)
	if got := testing.AllocsPerRun(1000, func() {
		resp, _ := tr.RoundTrip(req)
		resp.Body.Close()
	}); got > 8 {
		t.Errorf("client span with a body and a request ID, nobody listening: %v allocs, doc says 8", got)
	}
}
