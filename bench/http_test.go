package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/jstracehttp"
)

// The per-request cost of jstracehttp's middleware with one traced layer
// and a traced final handler, beside otelhttp's middleware, measured in
// process (ServeHTTP on a reused request and writer, no network) so that
// only the instrumentation shows.

// nopWriter is a ResponseWriter that keeps nothing but its header map.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(int)             {}

var (
	benchFinal = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		w.Write([]byte("ok"))
	})
	benchMW = func(next http.Handler) http.Handler { return next }
)

// jstraceStack is Middleware, one Layer and a traced final handler.
func jstraceStack() http.Handler {
	return jstracehttp.Middleware(jstracehttp.Layer("auth", benchMW)(jstracehttp.Handler("final", benchFinal)))
}

// serveLoop serves b.N requests through h; between calls it drains (when
// not nil) and clears the response header.
func serveLoop(b *testing.B, h http.Handler, incomingID string, drain func(int)) {
	w := &nopWriter{h: http.Header{}}
	r := httptest.NewRequest("GET", "/users/7", nil)
	if incomingID != "" {
		r.Header.Set("X-Request-ID", incomingID)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clear(w.h)
		h.ServeHTTP(w, r)
		if drain != nil {
			drain(i)
		}
	}
}

// BenchmarkHTTPMiddlewareDisabled: nobody listens. "bare" is the handler
// alone, the baseline to subtract.
func BenchmarkHTTPMiddlewareDisabled(b *testing.B) {
	b.Run("bare", func(b *testing.B) { serveLoop(b, benchFinal, "", nil) })
	b.Run("request-id-by-hand", func(b *testing.B) { // the ID's own cost: what the middleware adds to it is the rest
		serveLoop(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := jstracehttp.NewRequestID()
			w.Header()["X-Request-Id"] = []string{id}
			benchFinal.ServeHTTP(w, r.WithContext(jstrace.WithRequestID(r.Context(), id)))
		}), "", nil)
	})
	b.Run("jstrace-layers-only", func(b *testing.B) {
		serveLoop(b, jstracehttp.Layer("auth", benchMW)(jstracehttp.Handler("final", benchFinal)), "", nil)
	})
	b.Run("jstrace-fresh-id", func(b *testing.B) { serveLoop(b, jstraceStack(), "", nil) })
	b.Run("jstrace-incoming-id", func(b *testing.B) { serveLoop(b, jstraceStack(), "req-0123456789", nil) })
	b.Run("jstrace-session-elsewhere", func(b *testing.B) { // a session subscribed to another probe
		sub := jstrace.Subscribe(func(n string) bool { return n == "bench:other" }, 0)
		defer sub.Close()
		serveLoop(b, jstraceStack(), "", nil)
	})
	b.Run("otelhttp-no-sdk", func(b *testing.B) { // the global no-op provider
		serveLoop(b, otelhttp.NewHandler(benchMW(benchFinal), "server"), "", nil)
	})
}

// BenchmarkHTTPMiddlewareEnabled: a session subscribes to every http:
// probe (the buffered subscription the agent uses, drained outside the
// measured time), beside otelhttp with the SDK and a batch processor.
func BenchmarkHTTPMiddlewareEnabled(b *testing.B) {
	b.Run("jstrace-subscribed", func(b *testing.B) {
		sub := jstrace.Subscribe(func(n string) bool { return len(n) > 5 && n[:5] == "http:" }, 64<<20)
		defer sub.Close()
		buf := make([]byte, 0, 64<<20)
		serveLoop(b, jstraceStack(), "", func(i int) {
			if i%1024 == 1023 {
				b.StopTimer()
				buf = sub.Read(buf[:0])
				b.StartTimer()
			}
		})
		b.ReportMetric(float64(sub.Dropped()), "dropped")
	})
	b.Run("otelhttp-sdk", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
		defer tp.Shutdown(context.Background())
		serveLoop(b, otelhttp.NewHandler(benchMW(benchFinal), "server", otelhttp.WithTracerProvider(tp)), "", nil)
	})
}
