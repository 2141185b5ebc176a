// Package script is the API of jstrace scripts.
//
// A script is one Go file in package main that defines Remote, Local, or
// both:
//
//	package main
//
//	import "github.com/jstrace-go/jstrace/script"
//
//	// Remote runs inside every traced process.
//	func Remote(traces *script.Traces) {
//		traces.On("request:end", func(t *script.Trace) {
//			traces.Emit("status", "code", t.Int("status"))
//		})
//	}
//
//	// Local runs in the jstrace CLI.
//	func Local(traces *script.Traces) {
//		counts := map[int]int{}
//		traces.On("status", func(t *script.Trace) { counts[t.Int("code")]++ })
//		traces.Every(time.Second, func() { fmt.Println(counts) })
//	}
//
// The CLI interprets the file with yaegi: it runs Local itself and ships the
// source to every matching agent, which runs Remote inside the traced
// process. Because a script is ordinary Go, go vet, gopls and editors work
// on it; a func main is allowed (for go build) and ignored.
//
// # Handlers and aggregations
//
// A handler passed to On is interpreted: each call costs about a
// microsecond, and each getter it calls about as much. In Remote, a short
// handler without loops over numbers, strings, durations and the trace's
// getters is compiled instead when the agent loads the script, and costs
// a few hundred nanoseconds (jstrace vet --handlers says which are; see
// docs/scripts.md, "Where handlers run"). For the common
// reductions (counts, sums, extremes and percentiles of a field, grouped by
// another) Traces.Aggregate does the work in compiled code as traces
// arrive — in Remote, on the goroutine that fires the probe, before Emit
// returns — and script code reads the result when it wants, from an Every
// callback: see [Aggregation].
//
// # Drawing
//
// Bars, Quantize (DTrace's quantize), QuantizeValues, Sparkline, Chart and
// Table return drawings as text, at most a given width wide; Traces.Draw
// shows one as a frame, which the CLI redraws in place on a terminal, and
// Traces.Width is the width to draw at:
//
//	counts := map[int]int{}
//	traces.On("request:end", func(t *script.Trace) { counts[t.Int("status")]++ })
//	traces.Every(time.Second, func() { traces.Draw(script.Bars(counts, traces.Width())) })
//
// # What scripts may import
//
// This package, and these standard packages (minus anything that blocks,
// touches the process or the outside world: time.Sleep, timers, fmt.Scan;
// docs/scripts.md in the repository has the details):
// bytes, cmp, container/heap, container/list, encoding/base64,
// encoding/hex, encoding/json, errors, fmt, hash/crc32, hash/fnv, html,
// math, math/bits, math/rand, path, regexp, slices (without its sorting
// functions: use sort), sort, strconv, strings,
// text/tabwriter, time, unicode, unicode/utf8, unicode/utf16. Anything else
// (os, net, os/exec, reflect, unsafe, sync, …) is refused with the import's
// position before the script runs.
//
// # The Go that scripts are written in
//
// yaegi implements most of Go, with these differences, which jstrace turns
// into load errors with file:line:col where it can see them:
//
//   - no go statements, channels or select: handlers run one at a time, and
//     a blocked goroutine could not be stopped inside a traced process;
//   - no range over integers (for i := range 10) or over functions: write
//     for i := 0; i < 10; i++;
//   - no min, max or clear builtins: write them out;
//   - loop variables are shared between iterations (Go before 1.22): copy
//     one (v := v) before capturing it in a closure;
//   - generics are partial: prefer concrete types;
//   - no writes through pointers (*p = v, *p++): a script may hold pointers
//     to the traced process's own values;
//   - no array types over 256 MiB, and array lengths must be constants
//     computed from literals and the script's own constants;
//   - a single make, strings.Repeat or bytes.Repeat over 256 MiB panics,
//     and so does printing a value that contains itself.
//
// Remote functions receive copies of the traced process's events, never
// pointers into it, and a panic in a handler is reported with the process's
// prefix instead of crashing anything.
package script
