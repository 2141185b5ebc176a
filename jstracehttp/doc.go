// Package jstracehttp traces a net/http service's requests for jstrace:
// request IDs, distributed traces (a server span per request, a client
// span per call, carried between services by W3C traceparent and the
// X-Trace-ID headers), the lifecycle of every request and of every
// middleware layer, and outgoing client calls, as probes that scripts
// (and in-process subscribers) see, costing next to nothing while nobody
// listens.
//
// # Quick start
//
//	mux := http.NewServeMux()
//	mux.Handle("GET /users/{id}", jstracehttp.Handler("users", users))
//	h := jstracehttp.Layer("logging", logging)(jstracehttp.Layer("auth", auth)(mux))
//	http.ListenAndServe(addr, jstracehttp.Middleware(h))
//
// [Middleware] works with anything built on http.Handler (ServeMux, chi,
// gorilla/mux, echo and gin through their net/http adapters). Put it
// outermost.
//
// # Request IDs
//
// Middleware gives every request an ID: the incoming X-Request-ID if it is
// valid (one value of 1 to 128 letters, digits and "-_.:+/=", see
// [ValidRequestID]), else a fresh one ([NewRequestID]: 128 random bits,
// no system call); a malformed or oversized value is dropped, never
// echoed. The ID is set in the response's X-Request-ID header and in the
// request's context, where [jstrace.RequestID] reads it and
// [jstrace.Probe.EmitContext], [jstrace.TraceContext] and every event
// below add it as the field "request_id". [Transport] forwards it on
// outgoing requests. [NewMiddleware] changes the header, the generator,
// or ignores incoming IDs.
//
// # Traces across services
//
// [Middleware] continues the trace a request carries: W3C traceparent
// and tracestate (as OpenTelemetry and most tracers send them), else the
// X-Trace-ID and X-Span-ID of Redis-style tracers (see [jstrace.Extract]
// for the exact rules; a malformed value starts a new trace and is never
// echoed). It starts a server span, the child of the caller's span, named
// "GET" until routing and "GET /users/{id}" after (from the ServeMux
// pattern), tagged http.request.method, url.path, http.route,
// http.response.status_code and http.response.body.size, failed by a 5xx
// or a panic; puts it in the request's context, where
// [jstrace.SpanFromContext] finds it, [jstrace.StartSpan] starts its
// children and every event below (http:*, db:*) carries trace_id and
// span_id; and answers with the trace ID in the X-Trace-ID header, for a
// user to quote.
//
// [Transport], given a request whose context holds a span, starts a client
// span ("GET host"), sends its IDs in traceparent (tracestate),
// X-Trace-ID, X-Span-ID and X-Parent-Span-ID, and ends it when the
// response's body is closed:
//
//	client := &http.Client{Transport: jstracehttp.Transport(nil)}
//	req, _ := http.NewRequestWithContext(r.Context(), "GET", paymentsURL, nil)
//	resp, err := client.Do(req) // payments' span is this call's child
//
// A service whose callers are outside (a public edge) sets
// [Options].IgnoreIncomingTrace, so that they can neither choose trace IDs
// nor force sampling. Sampling is decided at the root of a trace
// ([jstrace.TracingOptions].Sampler) and travels in traceparent's flags;
// the X-Trace-ID headers carry no decision, so the receiving service's
// sampler makes one.
//
// # Channels and fields
//
// Each is a [jstrace.Channel]: the probes are name:start, name:end,
// name:error, name:asyncStart and name:asyncEnd, every event with
// "request_id" first, then "trace_id" and "span_id" (the server span's;
// http:client's, the client span's, when the caller's context has a
// span), end and asyncEnd with "duration".
//
//	http:request   Middleware. start: method, path, route; end: route,
//	               status, bytes (and hijacked=true after a Hijack;
//	               errors_dropped, see Errors).
//	http:layer     Handler and Layer. start: layer, method, path, route;
//	               end: layer, route, status, bytes.
//	http:client    Transport. start: method, host, path; end: status;
//	               asyncEnd: bytes.
//	error          error, handled, then layer and route (http:request,
//	               http:layer).
//
// "route" is the ServeMux pattern (r.Pattern) of the request; other
// routers leave it empty unless they set r.Pattern. A layer
// running before the mux routes starts with an empty route; every end
// event has the route the mux chose, wherever it sits. "status" is the
// response's status: a layer that ends before anything is written shows
// 0, and a request whose handler wrote nothing shows the 200 net/http
// sends. "bytes" counts the body written so far.
//
// # Layers
//
// [Layer] wraps a func(http.Handler) http.Handler middleware and
// [Handler] a final handler, each as a named layer whose run (inner
// layers included, like nested spans) is one http:layer operation. Layers
// work without Middleware too.
//
// # Errors
//
// A Go handler has no error to return, so it reports one with [Error]
// (ctx, err): the error belongs to the innermost layer running. A panic
// is reported as a [PanicError] on the innermost layer it leaves, then
// panics on with the same value, as if the layers were not there
// (net/http then logs it, or stays silent for http.ErrAbortHandler).
//
// Following the review of Node's router TracingChannel, an error is always
// observable on the layer where it happened, whether or not another layer
// dealt with it, and says whether it was handled. Whether it was is only
// known when the request ends, so errors fire then, once per error, on
// their layer's http:layer:error and on http:request:error, after their
// layer's end and before the request's end: handled is true if the
// response was not a server error (an outer layer recovered the panic or
// answered the error with a 4xx or a fallback) and false if it was a 5xx
// or the panic escaped. "Handled" means only that the final response was
// below 500: a recover layer that deliberately answers 500 leaves its
// errors unhandled. A 5xx response without any reported error fires
// http:request:error with a [StatusError] (handled false), so "*:error"
// sees every failed request; layers get no such synthetic error.
// A request keeps at most 32 errors until it ends: more are counted in
// the field "errors_dropped" of its end event (of the outermost layer
// without Middleware). After a Hijack the response is gone, so errors
// reported then fire at once, unhandled.
//
// # Async work
//
// In net/http nothing can be written after ServeHTTP returns, so a
// streamed response (Write and Flush in a loop) is synchronous: its end
// comes after the last byte. What does outlive the handler is async:
//
//   - a hijacked connection (websockets): asyncStart at Hijack on the
//     request and the layer that hijacked, asyncEnd when the connection
//     is closed. To see the close, Hijack returns, while traced, a
//     wrapper of net/http's connection that keeps its CloseWrite,
//     CloseRead, ReadFrom, WriteTo and ConnectionState; a type assertion
//     to the concrete type (c.(*net.TCPConn)) sees the wrapper, whose
//     NetConn method returns the original;
//   - work handed to another goroutine, marked by the handler with
//     [Async]: asyncStart when called, asyncEnd (and error) when the work
//     calls the function Async returned;
//   - a client response's body: [Transport] ends at the headers and
//     reads the body as async work, until it is closed.
//
// # Response writer
//
// While someone listens, the middleware and the layers see the status and
// size through a wrapper of the ResponseWriter that has exactly the
// optional methods of the writer it wraps (Flush, Hijack, ReadFrom, Push;
// never one more, so an upgrade or io.Copy's sendfile behaves as without
// it) and Unwrap, through which http.ResponseController reaches the rest
// (SetWriteDeadline, EnableFullDuplex). The deprecated CloseNotifier is
// not kept. While nobody listens the writer is not wrapped.
//
// # Costs
//
// While no session or subscriber listens to a channel and the trace is not
// recorded: Handler and Layer cost the channel's atomic loads and no
// allocation; Middleware costs the request ID (generating it, unless
// valid incoming, its header value, the context value and the request
// copy carrying it) and the server span (its context, the
// X-Trace-ID header; the caller's span's context when the request carries
// one): 7 allocations, 6 with an incoming request ID, one more with an
// incoming trace; Error and Async one context lookup; Transport nothing
// without a request ID or a span in the context, with a request ID the
// request copy with the header, with a span the client span, the request
// copy, its header map and the injected headers (6 allocations; 8 with a
// response body, whose wrapper ends the span when it is closed). Listening
// or recording costs a recorder, a state and the events per request. See
// bench/ for figures.
//
// # Scripts
//
// Per-layer latency, reduced in the service by a native aggregation (a
// script's Remote):
//
//	layers := traces.Aggregate("http:layer:end", script.Agg{By: "layer", Of: "duration"})
//
// Errors with their layer, route and message:
//
//	traces.On("http:layer:error", func(t *script.Trace) {
//		traces.Emit("error", "layer", t.Str("layer"), "route", t.Str("route"),
//			"error", t.Str("error"), "handled", t.Bool("handled"))
//	})
package jstracehttp
