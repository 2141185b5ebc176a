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
// This package imports only the standard library, so placing probes never
// pulls in the agent, the interpreter or the CLI. The agent package consumes
// events through [Subscribe] (buffered, for another goroutine) and
// [SubscribeFunc] (on the probe's goroutine, for native aggregations);
// most programs never call either directly.
package jstrace
