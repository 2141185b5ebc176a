//go:build ignore

// Cleanup: Remote counts requests and reports from each process when the
// session ends (Ctrl-C or --duration); Local prints the total after every
// remote report has arrived. (Port of jstrace's "Remote cleanup" example.)
//
//	jstrace -t service --duration 5s examples/scripts/cleanup.go
package main

import (
	"fmt"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	n := 0
	traces.On("request:end", func(t *script.Trace) { n++ })
	traces.Every(time.Second, func() { traces.Dump("requests so far:", n) })
	traces.OnCleanup(func() {
		traces.Dump("requests in total:", n)
		traces.Emit("total", "n", n)
	})
}

func Local(traces *script.Traces) {
	total, processes := 0, 0
	traces.On("total", func(t *script.Trace) {
		total += t.Int("n")
		processes++
	})
	traces.OnCleanup(func() {
		fmt.Printf("%d requests in %d processes\n", total, processes)
	})
}
