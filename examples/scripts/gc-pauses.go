//go:build ignore

// GC pauses and heap per process, from the agent's built-in probes of the
// Go runtime: go:gc fires once per GC cycle with its pause, go:heap every
// second with the heap's size. Each Remote sums its cycles every second
// and emits one line's worth; Local prints a line per process. Every runs
// once more when the session ends, for the last partial second. Nothing
// samples the runtime once the session is over.
//
//	jstrace -t 'service*' examples/scripts/gc-pauses.go
package main

import (
	"fmt"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	var cycles int
	var sum, worst time.Duration
	var cpu float64
	var heap, goal, goroutines uint
	traces.On("go:gc", func(t *script.Trace) {
		p := t.Dur("pause")
		cycles++
		sum += p
		if p > worst {
			worst = p
		}
		cpu = t.Float("gc_cpu")
	})
	traces.On("go:heap", func(t *script.Trace) {
		heap, goal, goroutines = t.Uint("heap"), t.Uint("heap_goal"), t.Uint("goroutines")
	})
	flush := func() {
		if heap == 0 && cycles == 0 {
			return
		}
		traces.Emit("gc", "cycles", cycles, "pause", sum, "max", worst, "gc_cpu", cpu,
			"heap", heap, "heap_goal", goal, "goroutines", goroutines)
		cycles, sum, worst = 0, 0, 0
	}
	traces.Every(time.Second, flush)
}

func Local(traces *script.Traces) {
	const mib = 1 << 20
	traces.On("gc", func(t *script.Trace) {
		fmt.Printf("%-28s %3d GC/s  pause %-9v max %-9v cpu %4.1f%%  heap %6.1f/%.1f MiB  %d goroutines\n",
			fmt.Sprintf("%s/%s/%d", t.Hostname, t.Title, t.PID), t.Int("cycles"),
			t.Dur("pause").Round(time.Microsecond), t.Dur("max").Round(time.Microsecond),
			100*t.Float("gc_cpu"), float64(t.Uint("heap"))/mib, float64(t.Uint("heap_goal"))/mib,
			t.Uint("goroutines"))
	})
}
