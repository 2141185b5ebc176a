// Package jstrace is the probe API of jstrace, dynamic tracing for live Go
// services.
//
// A service declares probes once and fires them on its hot paths:
//
//	var reqEnd = jstrace.NewProbe("request:end")
//
//	func handle(w http.ResponseWriter, r *http.Request) {
//		start := time.Now()
//		// ...
//		if reqEnd.Enabled() {
//			reqEnd.Emit("id", id, "status", status, "duration", time.Since(start))
//		}
//	}
//
// or, where the name is only known at the call site, with [Trace]:
//
//	jstrace.Trace("db:query", "table", table, "rows", n)
//
// Probes cost one atomic load while nobody traces them. Events are only
// encoded when a tracing session (the jstrace CLI attached through the agent
// package) subscribes to the probe's name, and then they are copied into that
// session's bounded buffer; a probe call never blocks, and events that do not
// fit are dropped and counted.
//
// Fields are slog-style alternating keys and values; a [log/slog.Attr] is
// accepted in place of a key/value pair. Values keep their Go kind across the
// wire: integers, floats, strings, bools, [time.Time], [time.Duration],
// []byte, errors, and nested slices, maps and structs. See [Probe.Emit] for
// the exact rules and limits.
//
// # Requests
//
// Code that serves requests passes their context: [WithRequestID] gives a
// context a request ID (the middleware of package jstracehttp does it for
// every HTTP request, honouring X-Request-ID), and [Probe.EmitContext] and
// [TraceContext] add it to their events as the field "request_id":
//
//	var cacheMiss = jstrace.NewProbe("app:cache:miss")
//
//	cacheMiss.EmitContext(ctx, "key", key)
//
// They cost what Emit and Trace cost while nobody listens, and allocate
// nothing either way.
//
// A [Channel] publishes the lifecycle of an operation as five probes,
// name:start, name:end, name:asyncStart, name:asyncEnd and name:error, after
// Node's TracingChannel; [Channel.Trace] wraps a call:
//
//	var charge = jstrace.NewChannel("billing:charge")
//
//	err := charge.Trace(ctx, func(ctx context.Context) error {
//		return gateway.Charge(ctx, amount)
//	}, "amount", amount)
//
// While nobody subscribes, Start returns after one atomic load.
//
// Besides tracing sessions, in-process code can subscribe: [On] calls a
// function with the events of the probes matching a DEBUG-style pattern
// ("http:*,db:*,-db:prepare:*"), with their name, time, context (so their
// request ID) and fields, until it unsubscribes:
//
//	unsubscribe, err := jstrace.On("http:*", func(e jstrace.Event) {
//		kv, _ := e.Args()
//		log.Println(e.RequestID(), e.Name(), kv)
//	})
//
// [Debug] prints matching events to a writer, one line each, grouped by
// request as koa-trace does ("+Nms" since the request's previous event);
// the environment variable JSTRACE_DEBUG does it to standard error from
// the start of the program, read once when the package is initialised:
//
//	JSTRACE_DEBUG='http:*,db:*' ./service
//
// # Spans
//
// A [Span] times one operation of a trace that may cross services:
//
//	ctx, span := jstrace.StartSpan(ctx, "charge card", "amount", amount)
//	defer span.End()
//	if err := gateway.Charge(ctx, amount); err != nil {
//		span.SetError(err)
//	}
//
// A span started under another (through the context) is its child; one
// started without is the root of a new trace. Every span fires the probes
// "span:start" and "span:end" (trace_id, span_id, parent_id, service,
// operation, duration, error), so scripts aggregate spans like any probe,
// and every context event under a span carries its trace_id and span_id.
// Whether a trace is also recorded and exported is decided at its root by
// [TracingOptions.Sampler] and travels with it; package export runs the
// exporters ([OnSpanEnd]), and package jstracehttp carries the trace
// across HTTP. An unsampled span costs its IDs and one allocation.
//
// This package imports only the standard library, so placing probes never
// pulls in the agent, the interpreter or the CLI. The agent package consumes
// events through [Subscribe] (buffered, for another goroutine) and
// [SubscribeFunc] (on the probe's goroutine, for native aggregations);
// most programs never call either directly.
package jstrace
