package main

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/examples/service/state"
)

// The service's probes, declared once.
var (
	reqStart  = jstrace.NewProbe("request:start")
	reqEnd    = jstrace.NewProbe("request:end")
	reqError  = jstrace.NewProbe("request:error")
	apiBuffer = jstrace.NewProbe("api:buffer")
	burstItem = jstrace.NewProbe("burst:item")
)

type server struct {
	mux      *http.ServeMux
	ids      atomic.Int64
	maxDelay time.Duration
}

func newServer(maxDelay time.Duration) *server {
	s := &server{mux: http.NewServeMux(), maxDelay: maxDelay}
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello world\n") })
	s.mux.HandleFunc("GET /users/{id}", s.user)
	s.mux.HandleFunc("POST /upload", s.upload)
	s.mux.HandleFunc("POST /burst", s.burst)
	s.mux.HandleFunc("GET /debug/runtime", runtimeStats)
	s.mux.HandleFunc("GET /fail", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "internal error", http.StatusInternalServerError)
	})
	return s
}

// statusWriter remembers the status code.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := s.ids.Add(1)
	start := time.Now()
	state.Begin()
	defer state.End()
	if reqStart.Enabled() {
		reqStart.Emit("id", id, "method", r.Method, "path", r.URL.Path)
	}
	if s.maxDelay > 0 {
		time.Sleep(rand.N(s.maxDelay))
	}
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	s.mux.ServeHTTP(sw, r.WithContext(withID(r.Context(), id)))
	if sw.status >= 500 && reqError.Enabled() {
		reqError.Emit("id", id, "err", errors.New(http.StatusText(sw.status)))
	}
	if reqEnd.Enabled() {
		reqEnd.Emit("id", id, "method", r.Method, "path", r.URL.Path, "status", sw.status, "duration", time.Since(start))
	}
}

func (s *server) user(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || n > 100 {
		http.NotFound(w, r)
		return
	}
	io.WriteString(w, "user "+strconv.Itoa(n)+"\n")
}

func (s *server) upload(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// Trace is the convenience form: no probe variable needed.
	jstrace.Trace("api:buffer", "id", idFrom(r.Context()), "size", len(body))
	w.WriteHeader(http.StatusCreated)
}

// burst fires burst:item n times in a tight loop, like a batch job would:
// the way to see what a session does when events come faster than it reads.
func (s *server) burst(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.URL.Query().Get("n"))
	for i := range min(n, 10_000_000) {
		if burstItem.Enabled() {
			burstItem.Emit("i", i, "pad", "................................................................")
		}
	}
	io.WriteString(w, "ok\n")
}

// runtimeStats reports what a leak would grow: goroutines, open files,
// heap. The integration tests read it around fault injections. Then what
// each garbage collection scans (runtime/metrics' /gc/scan/*, bytes:
// scannable heap, stacks scanned in the last cycle, globals), which a
// session's presence adds to: the collector's work a cycle. With ?gc=1 it
// collects first (twice: the scannable heap is counted as a cycle starts).
func runtimeStats(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("gc") == "1" {
		runtime.GC()
		runtime.GC()
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fds, _ := os.ReadDir("/proc/self/fd")
	fmt.Fprintf(w, "goroutines %d\nfds %d\nheap %d\n", runtime.NumGoroutine(), len(fds), m.HeapInuse)
	scan := []metrics.Sample{{Name: "/gc/scan/heap:bytes"}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"}}
	metrics.Read(scan)
	for i, name := range []string{"scan-heap", "scan-stack", "scan-globals"} {
		if scan[i].Value.Kind() == metrics.KindUint64 {
			fmt.Fprintf(w, "%s %d\n", name, scan[i].Value.Uint64())
		}
	}
}
