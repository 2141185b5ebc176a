//go:build ignore

// The cluster's latency, not an average of each process's: every process
// aggregates its requests in compiled code and ships its groups,
// histograms included, to the CLI every second (traces.Ship); Local
// merges what every process sent (traces.Merged), so the p99 per route
// is that of all the cluster's requests, within ~3%. Every second it
// prints it for the busiest routes, and a histogram of statuses.
//
//	jstrace -t 'service*' examples/scripts/cluster-p99.go
package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	traces.Ship("routes", traces.Aggregate("request:end", script.Agg{By: "path", Of: "duration"}))
	traces.Ship("statuses", traces.Aggregate("request:end", script.Agg{By: "status"}))
}

func Local(traces *script.Traces) {
	routes, statuses := traces.Merged("routes"), traces.Merged("statuses")
	report := func() {
		rs := routes.Take()
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].Count > rs[j].Count })
		if len(rs) > 5 {
			rs = rs[:5]
		}
		for _, g := range rs {
			fmt.Printf("route %-10s %6d req  p99 %v\n", g.Key, g.Count, time.Duration(g.Quantile(0.99)).Round(time.Microsecond))
		}
		gs := statuses.Take()
		total := 0
		for _, g := range gs {
			total += g.Count
		}
		for _, g := range gs {
			fmt.Printf("status %s %6d %s\n", g.Key, g.Count, strings.Repeat("#", 1+40*g.Count/total))
		}
	}
	traces.Every(time.Second, report)
	traces.OnCleanup(report) // what the processes shipped as the session ended
}
