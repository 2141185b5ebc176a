//go:build ignore

// The README's quick start: the p99 of each path, every second.
package main

import (
	"fmt"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

// Remote runs inside every traced process.
func Remote(traces *script.Traces) {
	reqs := traces.Aggregate("request:end", script.Agg{By: "path", Of: "duration"})
	traces.Every(time.Second, func() {
		for _, g := range reqs.Take() {
			traces.Emit("latency", "path", g.Key, "n", g.Count, "p99", time.Duration(g.Quantile(0.99)))
		}
	})
}

// Local runs in the jstrace CLI.
func Local(traces *script.Traces) {
	traces.On("latency", func(t *script.Trace) {
		fmt.Printf("%s/%d %-8s %4d req/s  p99 %v\n", t.Hostname, t.PID, t.Str("path"), t.Int("n"), t.Dur("p99"))
	})
}
