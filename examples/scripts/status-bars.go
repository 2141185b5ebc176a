//go:build ignore

// Distribution of response status codes, drawn as bars every second and
// redrawn in place on a terminal. (Port of jstrace's "Plotting
// distribution" example.)
//
//	jstrace -t service examples/scripts/status-bars.go
package main

import (
	"time"

	"github.com/jstrace-go/jstrace/script"
)

// reset makes the counts per interval instead of since the start.
const reset = false

func Local(traces *script.Traces) {
	counts := map[int]int{}
	traces.On("request:end", func(t *script.Trace) { counts[t.Int("status")]++ })
	traces.Every(time.Second, func() {
		if len(counts) == 0 { // an empty frame would only clear the screen
			if reset {
				traces.Draw("no requests this second\n")
			} else {
				traces.Draw("no requests yet\n")
			}
			return
		}
		traces.Draw(script.Bars(counts, traces.Width()))
		if reset {
			counts = map[int]int{}
		}
	})
}
