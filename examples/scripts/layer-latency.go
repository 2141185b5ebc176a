//go:build ignore

// Latency of each middleware layer and handler, by route, across every
// traced process: each process sums its http:layer:end events (fired by
// jstracehttp.Layer and jstracehttp.Handler) every second and Local prints
// the cluster's table. A layer's time includes the layers inside it, so
// the difference between two rows is what the outer layer itself costs.
//
//	jstrace -t webapp examples/scripts/layer-latency.go
package main

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

type stat struct {
	n        int
	sum, max time.Duration
}

func Remote(traces *script.Traces) {
	stats := map[string]*stat{}
	traces.On("http:layer:end", func(t *script.Trace) {
		key := t.Str("layer") + "\t" + t.Str("route")
		s := stats[key]
		if s == nil {
			s = &stat{}
			stats[key] = s
		}
		d := t.Dur("duration")
		s.n++
		s.sum += d
		if d > s.max {
			s.max = d
		}
	})
	traces.Every(time.Second, func() {
		for key, s := range stats {
			traces.Emit("layer", "key", key, "n", s.n, "sum", s.sum, "max", s.max)
		}
		stats = map[string]*stat{}
	})
}

func Local(traces *script.Traces) {
	stats := map[string]*stat{}
	traces.On("layer", func(t *script.Trace) {
		s := stats[t.Str("key")]
		if s == nil {
			s = &stat{}
			stats[t.Str("key")] = s
		}
		s.n += t.Int("n")
		s.sum += t.Dur("sum")
		if t.Dur("max") > s.max {
			s.max = t.Dur("max")
		}
	})
	traces.Every(time.Second, func() {
		if len(stats) == 0 {
			return
		}
		keys := make([]string, 0, len(stats))
		for k := range stats {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "LAYER\tROUTE\tREQ/S\tMEAN\tMAX")
		for _, k := range keys {
			s := stats[k]
			fmt.Fprintf(w, "%s\t%d\t%v\t%v\n", k, s.n, (s.sum / time.Duration(s.n)).Round(time.Microsecond), s.max.Round(time.Microsecond))
		}
		w.Flush()
		fmt.Println(b.String())
		stats = map[string]*stat{}
	})
}
