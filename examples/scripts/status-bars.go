//go:build ignore

// Distribution of response status codes, drawn as bars every second.
// (Port of jstrace's "Plotting distribution" example.)
//
//	jstrace -t service examples/scripts/status-bars.go
package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

// reset makes the counts per interval instead of since the start.
const reset = false

func Local(traces *script.Traces) {
	counts := map[int]int{}
	traces.On("request:end", func(t *script.Trace) {
		counts[t.Int("status")]++
	})
	traces.Every(time.Second, func() {
		fmt.Print(bars(counts, 30))
		if reset {
			counts = map[int]int{}
		}
	})
}

// bars draws one bar per status, longest first, scaled to width.
func bars(counts map[int]int, width int) string {
	var codes []int
	most := 0
	for code, n := range counts {
		codes = append(codes, code)
		if n > most {
			most = n
		}
	}
	sort.Slice(codes, func(i, j int) bool { return counts[codes[i]] > counts[codes[j]] })
	var b strings.Builder
	for _, code := range codes {
		n := counts[code]
		w := n * width / most
		fmt.Fprintf(&b, "  %d | %s%s | %d\n", code, strings.Repeat("=", w), strings.Repeat(" ", width-w), n)
	}
	b.WriteString("\n")
	return b.String()
}
