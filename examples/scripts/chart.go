//go:build ignore

// Requests per second as a scrolling chart in the terminal, redrawn in
// place every second. (Port of jstrace's "Charts" example.)
//
//	jstrace -t service examples/scripts/chart.go
package main

import (
	"fmt"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	n := 0
	traces.On("request:end", func(t *script.Trace) { n++ })
	traces.Every(time.Second, func() {
		traces.Emit("rate", "n", n)
		n = 0
	})
}

func Local(traces *script.Traces) {
	var rate script.Series
	sum := 0
	traces.On("rate", func(t *script.Trace) { sum += t.Int("n") })
	traces.Every(time.Second, func() {
		rate.Add(float64(sum))
		traces.Draw(fmt.Sprintf("%d req/s\n%s", sum, script.Chart(rate.Values(), traces.Width(), 8)))
		sum = 0
	})
}
