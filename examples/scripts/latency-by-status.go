//go:build ignore

// Response latency percentiles by status code, per process, reduced in
// compiled code: a native Aggregation keeps a distribution per status
// without running script code for each request, so it costs a busy
// service about a tenth of what a handler doing the same would. Every
// second each process emits its groups; Local prints them.
//
//	jstrace -t 'service*' examples/scripts/latency-by-status.go
package main

import (
	"fmt"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	reqs := traces.Aggregate("request:end", script.Agg{By: "status", Of: "duration"})
	traces.Every(time.Second, func() {
		for _, g := range reqs.Take() {
			traces.Emit("latency", "status", g.Key, "n", g.Count,
				"p50", time.Duration(g.Quantile(0.5)),
				"p99", time.Duration(g.Quantile(0.99)),
				"max", time.Duration(g.Max))
		}
	})
}

func Local(traces *script.Traces) {
	traces.On("latency", func(t *script.Trace) {
		fmt.Printf("%s/%s/%d  %s  %5d req/s  p50 %-9v p99 %-9v max %v\n",
			t.Hostname, t.Title, t.PID, t.Str("status"), t.Int("n"),
			t.Dur("p50").Round(time.Microsecond), t.Dur("p99").Round(time.Microsecond),
			t.Dur("max").Round(time.Microsecond))
	})
}
