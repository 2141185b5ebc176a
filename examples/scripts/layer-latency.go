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
		rows := [][]string{{"LAYER", "ROUTE", "REQ/S", "MEAN", "MAX"}}
		for _, k := range keys {
			s := stats[k]
			layer, route, _ := strings.Cut(k, "\t")
			rows = append(rows, []string{layer, route, fmt.Sprint(s.n),
				(s.sum / time.Duration(s.n)).Round(time.Microsecond).String(), s.max.Round(time.Microsecond).String()})
		}
		traces.Draw(script.Table(rows, traces.Width()))
		stats = map[string]*stat{}
	})
}
