package jstracehttp_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/jstracehttp"
)

// Regression tests for review 12's findings.

// http.ResponseController.Flush reports a write error (the client is
// gone) through the traced writer as through net/http's.
func TestFlushErrorLost(t *testing.T) {
	for _, traced := range []bool{false, true} {
		t.Run(fmt.Sprint("traced=", traced), func(t *testing.T) {
			if traced {
				listen(t, "http:")
			}
			res := make(chan error, 1)
			srv := httptest.NewServer(jstracehttp.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, ok := w.(interface{ FlushError() error }); !ok {
					t.Error("writer has no FlushError")
				}
				rc := http.NewResponseController(w)
				w.Write([]byte("x"))
				rc.Flush()
				time.Sleep(100 * time.Millisecond) // the client is gone
				var err error
				for i := 0; i < 20 && err == nil; i++ {
					w.Write(make([]byte, 64<<10))
					err = rc.Flush()
					time.Sleep(10 * time.Millisecond)
				}
				res <- err
			})))
			defer srv.Close()
			c, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			c.Read(make([]byte, 100))
			c.Close()
			if err := <-res; err == nil {
				t.Error("ResponseController.Flush after the client left: nil error")
			}
		})
	}
}

// A rejected incoming X-Request-ID is not forwarded by a reverse proxy
// behind Middleware using Transport: the backend sees the ID the
// middleware chose, once.
func TestHostileIDForwarded(t *testing.T) {
	for _, traced := range []bool{false, true} {
		t.Run(fmt.Sprint("traced=", traced), func(t *testing.T) {
			if traced {
				listen(t, "http:")
			}
			seen := make(chan []string, 1)
			backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen <- r.Header.Values("X-Request-Id")
			}))
			defer backend.Close()
			u, _ := url.Parse(backend.URL)
			rp := httputil.NewSingleHostReverseProxy(u)
			rp.Transport = jstracehttp.Transport(nil)
			front := httptest.NewServer(jstracehttp.Middleware(rp))
			defer front.Close()
			req, _ := http.NewRequest("GET", front.URL, nil)
			req.Header.Set("X-Request-ID", strings.Repeat("A", 129))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got, want := <-seen, resp.Header.Get("X-Request-Id")
			if len(got) != 1 || got[0] != want {
				t.Errorf("backend saw %.40q, want [%q]", got, want)
			}
		})
	}
}

// Transport replaces an invalid ID, and finds the caller's under a
// non-canonical key instead of sending two.
func TestTransportNonCanonical(t *testing.T) {
	seen := make(chan http.Header, 1)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen <- r.Header.Clone() }))
	defer backend.Close()
	c := &http.Client{Transport: jstracehttp.Transport(nil)}
	for _, tc := range []struct {
		name string
		set  []string
		want string
	}{
		{"valid", []string{"caller-id"}, "caller-id"},
		{"invalid", []string{"bad id\x01"}, "ctx-id"},
		{"two", []string{"a", "b"}, "ctx-id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(jstrace.WithRequestID(t.Context(), "ctx-id"), "GET", backend.URL, nil)
			req.Header["X-Request-ID"] = tc.set
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := (<-seen).Values("X-Request-Id"); len(got) != 1 || got[0] != tc.want {
				t.Errorf("backend saw %q, want [%q]", got, tc.want)
			}
			if got := req.Header["X-Request-ID"]; len(got) != len(tc.set) || got[0] != tc.set[0] {
				t.Errorf("caller's header changed to %q", got)
			}
		})
	}
}

// Nested Middleware keeps the ID the outer one gave the request.
func TestNestedMiddlewareOneID(t *testing.T) {
	for _, hdr := range []string{"", "client-id", "bad\x01"} {
		t.Run(fmt.Sprintf("header=%q", hdr), func(t *testing.T) {
			var inner string
			h := jstracehttp.NewMiddleware(jstracehttp.Options{IgnoreIncoming: true})(jstracehttp.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inner = jstrace.RequestID(r.Context())
				if got := r.Header.Get("X-Request-Id"); hdr != "" && got != inner {
					t.Errorf("request header %q, context %q", got, inner)
				}
			})))
			req := httptest.NewRequest("GET", "/", nil)
			if hdr != "" {
				req.Header.Set("X-Request-ID", hdr)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if out := w.Header().Get("X-Request-Id"); inner == "" || out != inner || inner == hdr {
				t.Errorf("response ID %q, handler saw %q (incoming %q)", out, inner, hdr)
			}
		})
	}
}

// A request keeps a bounded number of errors; the rest are counted on its
// end event.
func TestErrorsAccumulate(t *testing.T) {
	rec := listen(t, "http:request:")
	const n = 10000
	h := jstracehttp.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < n; i++ {
			jstracehttp.Error(r.Context(), fmt.Errorf("message %d failed", i))
		}
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	errs, ends := rec.named("http:request:error"), rec.named("http:request:end")
	if len(errs) == 0 || len(errs) > 64 {
		t.Errorf("%d error events for %d errors, want a few", len(errs), n)
	}
	if len(ends) != 1 {
		t.Fatalf("%d end events", len(ends))
	}
	if d := fmt.Sprint(ends[0].fields["errors_dropped"]); d != fmt.Sprint(n-len(errs)) {
		t.Errorf("errors_dropped %s, want %d", d, n-len(errs))
	}
}

// After a Hijack, an error fires at once, not when the handler returns.
func TestErrorAfterHijackFiresAtOnce(t *testing.T) {
	rec := listen(t, "http:request:")
	srv := httptest.NewServer(jstracehttp.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		jstracehttp.Error(r.Context(), fmt.Errorf("ws frame bad"))
		if got := len(rec.named("http:request:error")); got != 1 {
			t.Errorf("%d error events while the hijacked handler runs, want 1", got)
		}
	})))
	defer srv.Close()
	if resp, err := http.Get(srv.URL); err == nil {
		resp.Body.Close()
	}
}

// Error and Async take a nil context without panicking.
func TestNilCtx(t *testing.T) {
	listen(t, "http:")
	//lint:ignore SA1012 a nil context on purpose
	jstracehttp.Error(nil, fmt.Errorf("x"))
	//lint:ignore SA1012 a nil context on purpose
	jstracehttp.Async(nil)(nil)
}

// A layer used without Middleware fires its end before its error, as
// layers under Middleware do.
func TestRootLayerOrder(t *testing.T) {
	rec := listen(t, "http:layer:")
	h := jstracehttp.HandlerFunc("only", func(w http.ResponseWriter, r *http.Request) {
		jstracehttp.Error(r.Context(), fmt.Errorf("bad"))
		w.WriteHeader(500)
	})
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	rec.mu.Lock()
	var names []string
	for _, e := range rec.events {
		names = append(names, e.name)
	}
	rec.mu.Unlock()
	if want := "[http:layer:start http:layer:end http:layer:error]"; fmt.Sprint(names) != want {
		t.Errorf("events %v, want %s", names, want)
	}
}

// A hijacked connection keeps its optional methods while traced, and
// NetConn reaches net/http's connection.
func TestHijackConnType(t *testing.T) {
	methods := func(c net.Conn) string {
		_, cw := c.(interface{ CloseWrite() error })
		_, cr := c.(interface{ CloseRead() error })
		_, rf := c.(io.ReaderFrom)
		_, wt := c.(io.WriterTo)
		return fmt.Sprintf("CloseWrite=%v CloseRead=%v ReadFrom=%v WriteTo=%v", cw, cr, rf, wt)
	}
	var want string
	for _, traced := range []bool{false, true} {
		t.Run(fmt.Sprint("traced=", traced), func(t *testing.T) {
			if traced {
				listen(t, "http:")
			}
			res := make(chan string, 1)
			srv := httptest.NewServer(jstracehttp.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c, _, err := http.NewResponseController(w).Hijack()
				if err != nil {
					res <- err.Error()
					return
				}
				defer c.Close()
				orig := c
				if nc, ok := c.(interface{ NetConn() net.Conn }); ok {
					orig = nc.NetConn()
				}
				_, tcp := orig.(*net.TCPConn)
				res <- fmt.Sprintf("%s tcp=%v", methods(c), tcp)
			})))
			defer srv.Close()
			if resp, err := http.Get(srv.URL); err == nil {
				resp.Body.Close()
			}
			got := <-res
			if !traced {
				want = got
			}
			if got != want || !strings.Contains(got, "tcp=true") {
				t.Errorf("hijacked conn: %s, untraced %s", got, want)
			}
		})
	}
}
