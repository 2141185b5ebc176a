//go:build ignore

// Requests per second as a scrolling chart in the terminal. (Port of
// jstrace's "Charts" example.)
//
//	jstrace -t service examples/scripts/chart.go
package main

import (
	"fmt"
	"strings"
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
	var history []int
	sum := 0
	traces.On("rate", func(t *script.Trace) { sum += t.Int("n") })
	traces.Every(time.Second, func() {
		history = append(history, sum)
		sum = 0
		if len(history) > 60 {
			history = history[1:]
		}
		fmt.Println(sparkline(history))
	})
}

// sparkline draws values with block characters, scaled to the largest.
func sparkline(values []int) string {
	blocks := []rune(" ▁▂▃▄▅▆▇█")
	most := 1
	for _, v := range values {
		if v > most {
			most = v
		}
	}
	var b strings.Builder
	for _, v := range values {
		b.WriteRune(blocks[v*(len(blocks)-1)/most])
	}
	return fmt.Sprintf("%s %d req/s", b.String(), values[len(values)-1])
}
