package main

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jstrace-go/jstrace/jstracehttp"
)

// recoverPanics answers a handler's panic with a 500 instead of net/http's
// dropped connection; the panic stays visible as an error of the layer it
// escaped (jstracehttp reports it there).
func recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

var errNoToken = errors.New("missing or wrong bearer token")

// auth wants "Authorization: Bearer demo".
func auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer demo" {
			jstracehttp.Error(r.Context(), errNoToken)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// cache keeps the bodies of successful GET /users/{id} responses, up to n,
// for a second each.
type cache struct {
	mu    sync.Mutex
	n     int
	items map[string]cached
}

type cached struct {
	body []byte
	at   time.Time
}

const cacheTTL = time.Second

func newCache(n int) *cache { return &cache{n: n, items: map[string]cached{}} }

func (c *cache) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/users/") {
			next.ServeHTTP(w, r)
			return
		}
		key := r.URL.Path
		c.mu.Lock()
		item, ok := c.items[key]
		c.mu.Unlock()
		if ok && time.Since(item.at) < cacheTTL {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Cache", "hit")
			w.Write(item.body)
			return
		}
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		if rec.status == http.StatusOK {
			c.mu.Lock()
			if len(c.items) >= c.n {
				clear(c.items)
			}
			c.items[key] = cached{rec.body.Bytes(), time.Now()}
			c.mu.Unlock()
		}
	})
}

// recorder keeps a copy of what it writes through.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	r.body.Write(p)
	return r.ResponseWriter.Write(p)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
