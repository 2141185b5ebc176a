package jstracehttp_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/jstracehttp"
)

// The Transport forwards the context's request ID on a copy of the
// request, keeps an ID the caller set, and leaves requests without one
// alone.
func TestTransportForwardsRequestID(t *testing.T) {
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Join(r.Header.Values("X-Request-ID"), ","))
	}))
	client := &http.Client{Transport: jstracehttp.Transport(srv.Client().Transport)}
	defer client.CloseIdleConnections()
	for _, tc := range []struct {
		name   string
		ctxID  string
		header http.Header
		want   string
	}{
		{"from context", "rid-7", http.Header{}, "rid-7"},
		{"nil header", "rid-7", nil, "rid-7"},
		{"caller's kept", "rid-7", http.Header{"X-Request-Id": {"mine"}}, "mine"},
		{"no ID", "", http.Header{}, ""},
		{"invalid ID in context not sent", "bad id\r\n", http.Header{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.ctxID != "" {
				ctx = jstrace.WithRequestID(ctx, tc.ctxID)
			}
			req, err := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header = tc.header
			before := len(req.Header)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != tc.want {
				t.Errorf("server saw X-Request-ID %q, want %q", b, tc.want)
			}
			if len(req.Header) != before || tc.header == nil && req.Header != nil {
				t.Errorf("caller's request changed: %v", req.Header)
			}
		})
	}
}

// With a subscriber, a round trip is start, end at the headers, and the
// body's reading as async work until Close; a failed one fires error.
func TestTransportEvents(t *testing.T) {
	rec := listen(t, "http:client")
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(503)
		io.WriteString(w, "unavailable")
	}))
	client := &http.Client{Transport: jstracehttp.Transport(srv.Client().Transport)}
	defer client.CloseIdleConnections()
	ctx := jstrace.WithRequestID(context.Background(), "rid-9")
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/a/b", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rec.named("http:client:asyncEnd")); n != 0 {
		t.Fatalf("asyncEnd before the body was closed")
	}
	io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body.Close() // once
	host := strings.TrimPrefix(srv.URL, "http://")
	check(t, rec.one(t, "http:client:start"), map[string]any{"request_id": "rid-9", "method": "GET", "host": host, "path": "/a/b"})
	check(t, rec.one(t, "http:client:end"), map[string]any{"request_id": "rid-9", "status": 503})
	rec.one(t, "http:client:asyncStart")
	check(t, rec.one(t, "http:client:asyncEnd"), map[string]any{"bytes": len("unavailable")})
	if n := len(rec.named("http:client:error")); n != 0 {
		t.Errorf("a 503 fired %d errors", n)
	}

	// A refused connection.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = (&http.Client{Transport: jstracehttp.Transport(nil)}).Get("http://" + addr + "/")
	var op *net.OpError
	if !errors.As(err, &op) {
		t.Fatalf("GET on a closed port: %v", err)
	}
	check(t, rec.one(t, "http:client:error"), map[string]any{"handled": false, "host": addr})
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
}
