//go:build ignore

// Map/reduce: Remote extracts the size of each upload and emits it, Local
// formats it. Only the small emitted events cross the wire. (Port of
// jstrace's "Local & remote analysis" example.)
//
//	jstrace -t service examples/scripts/buffer-size.go
package main

import (
	"fmt"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	traces.On("api:buffer", func(t *script.Trace) {
		traces.Emit("buffer size", "n", t.Int("size"))
	})
}

func Local(traces *script.Traces) {
	traces.On("buffer size", func(t *script.Trace) {
		fmt.Printf("buffer %s (%s)\n", bytes(t.Int("n")), t.Title)
	})
}

func bytes(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1fmb", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1fkb", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%db", n)
}
