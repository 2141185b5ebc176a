package jstracehttp_test

import (
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/jstrace-go/jstrace/jstracehttp"
)

// passthrough is a middleware that only calls the next handler.
func passthrough(next http.Handler) http.Handler { return next }

// A request through Middleware, a Layer and a mux-routed Handler fires
// each lifecycle in nesting order, with the route, status, bytes and the
// request ID on every event.
func TestLifecycleEvents(t *testing.T) {
	rec := listen(t, "http:")
	mux := http.NewServeMux()
	mux.Handle("GET /users/{id}", jstracehttp.HandlerFunc("users", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte("hello"))
	}))
	srv := serve(t, jstracehttp.Middleware(jstracehttp.Layer("auth", passthrough)(mux)))
	resp, _ := get(t, srv, "/users/7", http.Header{"X-Request-Id": {"rid-1"}})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d", resp.StatusCode)
	}
	want := []string{
		"http:request:start", "http:layer:start", "http:layer:start",
		"http:layer:end", "http:layer:end", "http:request:end",
	}
	if got := rec.names(); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	check(t, rec.one(t, "http:request:start"), map[string]any{"request_id": "rid-1", "method": "GET", "path": "/users/7", "route": ""})
	end := rec.one(t, "http:request:end")
	check(t, end, map[string]any{"request_id": "rid-1", "route": "GET /users/{id}", "status": 201, "bytes": 5})
	if _, ok := end.fields["duration"]; !ok {
		t.Error("request end without duration")
	}
	starts, ends := rec.named("http:layer:start"), rec.named("http:layer:end")
	check(t, starts[0], map[string]any{"layer": "auth", "route": "", "method": "GET", "path": "/users/7", "request_id": "rid-1"})
	check(t, starts[1], map[string]any{"layer": "users", "route": "GET /users/{id}"})
	check(t, ends[0], map[string]any{"layer": "users", "route": "GET /users/{id}", "status": 201, "bytes": 5})
	check(t, ends[1], map[string]any{"layer": "auth", "route": "GET /users/{id}", "status": 201, "bytes": 5})
}

var errBoom = errors.New("boom")

// The error semantics of the TracingChannel review: an error fires on the
// layer it happened in, whether or not an outer layer handled it, and says
// which; a panic fires once, on the innermost layer it left.
func TestLayerErrors(t *testing.T) {
	recoverTo := func(status int) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer func() {
					if recover() != nil {
						w.WriteHeader(status)
					}
				}()
				next.ServeHTTP(w, r)
			})
		}
	}
	for _, tc := range []struct {
		name       string
		outer      func(http.Handler) http.Handler // the "outer" layer's middleware
		final      http.HandlerFunc
		status     int    // the client's, 0: no response
		layerErr   string // the layer the error fires on, "" for none
		msg        string
		handled    bool
		requestErr string // http:request:error's message, "" for none
	}{
		{
			name:  "reported, answered 500",
			outer: passthrough,
			final: func(w http.ResponseWriter, r *http.Request) {
				jstracehttp.Error(r.Context(), errBoom)
				w.WriteHeader(500)
			},
			status: 500, layerErr: "final", msg: "boom", handled: false, requestErr: "boom",
		},
		{
			name:  "reported, answered 404",
			outer: passthrough,
			final: func(w http.ResponseWriter, r *http.Request) {
				jstracehttp.Error(r.Context(), errBoom)
				w.WriteHeader(404)
			},
			status: 404, layerErr: "final", msg: "boom", handled: true, requestErr: "boom",
		},
		{
			name:   "panic recovered by the outer layer with a fallback",
			outer:  recoverTo(200),
			final:  func(w http.ResponseWriter, r *http.Request) { panic("kaput") },
			status: 200, layerErr: "final", msg: "panic: kaput", handled: true, requestErr: "panic: kaput",
		},
		{
			name:   "panic recovered by the outer layer with 503",
			outer:  recoverTo(503),
			final:  func(w http.ResponseWriter, r *http.Request) { panic("kaput") },
			status: 503, layerErr: "final", msg: "panic: kaput", handled: false, requestErr: "panic: kaput",
		},
		{
			name:   "panic escapes",
			outer:  passthrough,
			final:  func(w http.ResponseWriter, r *http.Request) { panic("kaput") },
			status: 0, layerErr: "final", msg: "panic: kaput", handled: false, requestErr: "panic: kaput",
		},
		{
			name:   "5xx without an error",
			outer:  passthrough,
			final:  func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(502) },
			status: 502, requestErr: "http status 502 Bad Gateway",
		},
		{
			name:   "success",
			outer:  passthrough,
			final:  func(w http.ResponseWriter, r *http.Request) {},
			status: 200,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := listen(t, "http:")
			h := jstracehttp.Middleware(jstracehttp.Layer("outer", tc.outer)(jstracehttp.Handler("final", tc.final)))
			srv := serve(t, h)
			resp, err := srv.Client().Get(srv.URL + "/x")
			switch {
			case tc.status == 0 && err == nil:
				resp.Body.Close()
				t.Fatalf("status %d, want the connection aborted", resp.StatusCode)
			case tc.status == 0:
			case err != nil:
				t.Fatal(err)
			default:
				resp.Body.Close()
				if resp.StatusCode != tc.status {
					t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
				}
			}
			srv.Close() // the handler has returned: every event fired
			layerErrs := rec.named("http:layer:error")
			if tc.layerErr == "" {
				if len(layerErrs) != 0 {
					t.Errorf("layer errors %v, want none", layerErrs)
				}
			} else {
				if len(layerErrs) != 1 {
					t.Fatalf("layer errors %v, want one; all: %v", layerErrs, rec.names())
				}
				check(t, layerErrs[0], map[string]any{"layer": tc.layerErr, "error": tc.msg, "handled": tc.handled, "route": ""})
			}
			reqErrs := rec.named("http:request:error")
			if tc.requestErr == "" {
				if len(reqErrs) != 0 {
					t.Errorf("request errors %v, want none", reqErrs)
				}
			} else {
				if len(reqErrs) != 1 {
					t.Fatalf("request errors %v, want one", reqErrs)
				}
				check(t, reqErrs[0], map[string]any{"layer": tc.layerErr, "error": tc.requestErr, "handled": tc.handled})
			}
			check(t, rec.one(t, "http:request:end"), map[string]any{"status": tc.status})
			if n := len(rec.named("http:layer:end")); n != 2 {
				t.Errorf("%d layer ends, want 2", n)
			}
		})
	}
}

// A panic goes on up after it is reported, with its own value, as if no
// layer were there: net/http's http.ErrAbortHandler stays silent.
func TestPanicRepanics(t *testing.T) {
	for _, v := range []any{"kaput", http.ErrAbortHandler, errBoom} {
		t.Run(fmt_(v), func(t *testing.T) {
			rec := listen(t, "http:")
			h := jstracehttp.Middleware(jstracehttp.HandlerFunc("final", func(w http.ResponseWriter, r *http.Request) { panic(v) }))
			var got any
			srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer func() { got = recover(); w.WriteHeader(599) }()
				h.ServeHTTP(w, r)
			}))
			resp, _ := get(t, srv, "/", nil)
			if resp.StatusCode != 599 || got != v {
				t.Fatalf("status %d, recovered %v: want the panic %v to reach the server", resp.StatusCode, got, v)
			}
			if e := rec.one(t, "http:layer:error"); e.fields["handled"] != false {
				t.Errorf("escaped panic handled: %v", e)
			}
		})
	}
}

func fmt_(v any) string {
	if err, ok := v.(error); ok {
		return err.Error()
	}
	return v.(string)
}

// Async work fires asyncStart and asyncEnd on the layer that handed it
// off and on the request, and its error (unhandled) with them.
func TestAsync(t *testing.T) {
	rec := listen(t, "http:")
	done := make(chan struct{})
	srv := serve(t, jstracehttp.Middleware(jstracehttp.HandlerFunc("enqueue", func(w http.ResponseWriter, r *http.Request) {
		finish := jstracehttp.Async(r.Context())
		go func() {
			defer close(done)
			finish(errBoom)
			finish(nil) // only the first call counts
		}()
	})))
	get(t, srv, "/", nil)
	<-done
	for _, ch := range []string{"http:layer", "http:request"} {
		check(t, rec.one(t, ch+":asyncStart"), map[string]any{"layer": "enqueue"})
		check(t, rec.one(t, ch+":asyncEnd"), map[string]any{"layer": "enqueue"})
		check(t, rec.one(t, ch+":error"), map[string]any{"layer": "enqueue", "error": "boom", "handled": false})
	}
	if jstracehttp.Async(t.Context()) == nil {
		t.Error("Async of an untraced context: nil func")
	}
	jstracehttp.Async(t.Context())(errBoom) // untraced: does nothing
}

// Layers without Middleware: the outermost stands in for it.
func TestLayersAlone(t *testing.T) {
	rec := listen(t, "http:")
	srv := serve(t, jstracehttp.Layer("outer", passthrough)(jstracehttp.HandlerFunc("final", func(w http.ResponseWriter, r *http.Request) {
		jstracehttp.Error(r.Context(), errBoom)
		w.WriteHeader(500)
	})))
	get(t, srv, "/", nil)
	srv.Close()
	check(t, rec.one(t, "http:layer:error"), map[string]any{"layer": "final", "handled": false})
	if n := len(rec.named("http:request:start")); n != 0 {
		t.Errorf("%d request events without Middleware", n)
	}
}
