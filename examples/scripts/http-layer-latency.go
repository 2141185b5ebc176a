//go:build ignore

// Per-layer latency by route, for a service whose handlers are wrapped in
// jstracehttp.Layer and jstracehttp.Handler: every second each process
// emits, per route and layer, the requests and their mean and maximum
// duration (a layer's duration includes the layers inside it).
//
//	jstrace -t service examples/scripts/http-layer-latency.go
package main

import (
	"fmt"
	"sort"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

type stats struct {
	n        int
	sum, max time.Duration
}

func Remote(traces *script.Traces) {
	byKey := map[[2]string]*stats{}
	traces.On("http:layer:end", func(t *script.Trace) {
		k := [2]string{t.Str("route"), t.Str("layer")}
		s := byKey[k]
		if s == nil {
			s = &stats{}
			byKey[k] = s
		}
		d := t.Dur("duration")
		s.n++
		s.sum += d
		if d > s.max {
			s.max = d
		}
	})
	traces.Every(time.Second, func() {
		for k, s := range byKey {
			traces.Emit("layer latency", "route", k[0], "layer", k[1], "n", s.n,
				"mean", s.sum/time.Duration(s.n), "max", s.max)
		}
		byKey = map[[2]string]*stats{}
	})
}

func Local(traces *script.Traces) {
	var lines []string
	traces.On("layer latency", func(t *script.Trace) {
		lines = append(lines, fmt.Sprintf("%s/%d  %-24s %-12s %5d req  mean %-10v max %v",
			t.Hostname, t.PID, t.Str("route"), t.Str("layer"), t.Int("n"),
			t.Dur("mean").Round(time.Microsecond), t.Dur("max").Round(time.Microsecond)))
	})
	traces.Every(time.Second, func() {
		sort.Strings(lines)
		for _, l := range lines {
			fmt.Println(l)
		}
		lines = lines[:0]
	})
}
