//go:build ignore

// The cluster's latency, not an average of each process's: every process
// aggregates its requests in compiled code and ships its groups,
// histograms included, to the CLI every second (traces.Ship); Local
// merges what every process sent (traces.Merged), so the p99 per route
// is that of all the cluster's requests, within ~3%. Every second it
// draws it for the busiest routes, and bars of the statuses.
//
//	jstrace -t 'service*' examples/scripts/cluster-p99.go
package main

import (
	"fmt"
	"sort"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	traces.Ship("routes", traces.Aggregate("request:end", script.Agg{By: "path", Of: "duration"}))
	traces.Ship("statuses", traces.Aggregate("request:end", script.Agg{By: "status"}))
}

func Local(traces *script.Traces) {
	routes, statuses := traces.Merged("routes"), traces.Merged("statuses")
	traces.Every(time.Second, func() { // and once more at the end, for the last shipments
		rs := routes.Take()
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].Count > rs[j].Count })
		if len(rs) > 5 {
			rs = rs[:5]
		}
		rows := [][]string{{"ROUTE", "REQUESTS", "P99"}}
		for _, g := range rs {
			rows = append(rows, []string{g.Key, fmt.Sprint(g.Count), time.Duration(g.Quantile(0.99)).Round(time.Microsecond).String()})
		}
		traces.Draw(script.Table(rows, traces.Width()) + "\n" + script.Bars(statuses.Take(), traces.Width()))
	})
}
