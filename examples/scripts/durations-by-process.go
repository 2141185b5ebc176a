//go:build ignore

// Response durations across many processes, reduced where they happen:
// each Remote sums its requests every second and emits one summary; Local
// prints a line per process. Run several services to see the cluster view.
//
//	jstrace -t 'service*' examples/scripts/durations-by-process.go
package main

import (
	"fmt"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	var n int
	var sum, worst time.Duration
	traces.On("request:end", func(t *script.Trace) {
		d := t.Dur("duration")
		n++
		sum += d
		if d > worst {
			worst = d
		}
	})
	traces.Every(time.Second, func() {
		if n > 0 {
			traces.Emit("durations", "n", n, "mean", sum/time.Duration(n), "max", worst)
		}
		n, sum, worst = 0, 0, 0
	})
}

func Local(traces *script.Traces) {
	traces.On("durations", func(t *script.Trace) {
		fmt.Printf("%-28s %5d req/s  mean %-8v max %v\n",
			fmt.Sprintf("%s/%s/%d", t.Hostname, t.Title, t.PID), t.Int("n"),
			t.Dur("mean").Round(time.Millisecond), t.Dur("max").Round(time.Millisecond))
	})
}
