package jstracehttp_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/jstracehttp"
)

// printEvents subscribes to the probes under prefix and prints each event:
// its name, then the listed fields it has. It returns the unsubscribe
// function.
func printEvents(prefix string, keys ...string) func() {
	s := jstrace.SubscribeFunc(func(n string) bool { return strings.HasPrefix(n, prefix) }, func(e jstrace.Event) {
		kv, _ := e.Args()
		var b strings.Builder
		for _, k := range keys {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					fmt.Fprintf(&b, " %s=%v", k, kv[i+1])
				}
			}
		}
		fmt.Printf("%s%s\n", name(kv), b.String())
	})
	return s.Close
}

// name recovers the event's name for the example: the events printed
// here carry "layer" only on http:layer, so the kind is told by the
// fields. (A script names events itself; see package script.)
func name(kv []any) string {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == "layer" {
			return "layer"
		}
	}
	return "request"
}

// A ServeMux behind the middleware, with an auth layer and a traced
// handler per route: each request gets an ID (here the client's own) and
// every layer's lifecycle is visible to subscribers.
func Example() {
	auth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "" {
				http.Error(w, "who are you?", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	mux := http.NewServeMux()
	mux.Handle("GET /users/{id}", jstracehttp.HandlerFunc("users", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "user %s, request %s", r.PathValue("id"), jstrace.RequestID(r.Context()))
	}))
	srv := httptest.NewServer(jstracehttp.Middleware(jstracehttp.Layer("auth", auth)(mux)))
	defer srv.Close()

	stop := printEvents("http:layer:", "layer", "route", "status", "bytes")
	defer stop()
	req, _ := http.NewRequest("GET", srv.URL+"/users/7", nil)
	req.Header.Set("Authorization", "Bearer x")
	req.Header.Set("X-Request-ID", "req-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(body), resp.Header.Get("X-Request-ID"))
	// Output:
	// layer layer=auth route=
	// layer layer=users route=GET /users/{id}
	// layer layer=users route=GET /users/{id} status=200 bytes=21
	// layer layer=auth route=GET /users/{id} status=200 bytes=21
	// user 7, request req-1 req-1
}

// A handler reports the error it answers with Error; the error fires on
// its layer when the request ends, with handled true as the response was
// not a server error.
func ExampleError() {
	errNotFound := errors.New("no such user")
	h := jstracehttp.Middleware(jstracehttp.HandlerFunc("users", func(w http.ResponseWriter, r *http.Request) {
		jstracehttp.Error(r.Context(), errNotFound)
		http.Error(w, "not found", http.StatusNotFound)
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()

	stop := printEvents("http:layer:error", "layer", "error", "handled")
	defer stop()
	resp, err := http.Get(srv.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output:
	// layer layer=users error=no such user handled=true
	// 404
}

// A client that forwards the request ID of the context it is given: a
// service's outgoing calls carry the ID of the request that caused them.
func ExampleTransport() {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("backend saw", r.Header.Get("X-Request-ID"))
	}))
	defer backend.Close()
	client := &http.Client{Transport: jstracehttp.Transport(nil)}

	front := httptest.NewServer(jstracehttp.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), "GET", backend.URL, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
		}
	})))
	defer front.Close()
	req, _ := http.NewRequest("GET", front.URL, nil)
	req.Header.Set("X-Request-ID", "req-2")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	// Output:
	// backend saw req-2
}

// Two services traced end to end: the caller's traceparent is continued
// by the front service, whose call to payments carries it on, and the
// response names the trace for the user to quote.
func ExampleMiddleware_traces() {
	parents := make(chan jstrace.SpanID, 1)
	payments := httptest.NewServer(jstracehttp.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		span := jstrace.SpanFromContext(r.Context())
		fmt.Println("payments: trace", span.TraceID())
		parents <- span.ParentID()
	})))
	defer payments.Close()
	client := &http.Client{Transport: jstracehttp.Transport(nil)}

	front := httptest.NewServer(jstracehttp.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), "POST", payments.URL+"/charge", nil)
		resp, err := client.Do(req)
		if err != nil {
			return
		}
		resp.Body.Close()
		call := jstrace.SpanFromContext(resp.Request.Context()) // the client span
		fmt.Println("front: payments' parent is my call:", <-parents == call.SpanID())
		fmt.Println("front: my call's parent is my request:", call.ParentID() == jstrace.SpanFromContext(r.Context()).SpanID())
	})))
	defer front.Close()

	req, _ := http.NewRequest("GET", front.URL+"/checkout", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		fmt.Println("user: X-Trace-ID", resp.Header.Get("X-Trace-ID"))
		resp.Body.Close()
	}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	// Output:
	// payments: trace 4bf92f3577b34da6a3ce929d0e0e4736
	// front: payments' parent is my call: true
	// front: my call's parent is my request: true
	// user: X-Trace-ID 4bf92f3577b34da6a3ce929d0e0e4736
}
