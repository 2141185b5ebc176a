//go:build ignore

// The distribution of response times by status, in powers of two of
// nanoseconds as DTrace's quantize draws it, since the start, redrawn in
// place every second. Local aggregates the raw traces, which suits a
// service of a few hundred requests a second; Take instead of Snapshot
// would draw each second's alone.
//
//	jstrace -t service examples/scripts/latency-histogram.go
package main

import (
	"strings"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Local(traces *script.Traces) {
	reqs := traces.Aggregate("request:end", script.Agg{By: "status", Of: "duration"})
	traces.Every(time.Second, func() {
		var frame strings.Builder
		for _, g := range reqs.Snapshot() {
			frame.WriteString(script.Quantize(g, traces.Width()))
		}
		traces.Draw(frame.String())
	})
}
