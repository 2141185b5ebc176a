//go:build ignore

// Response durations by request id, computed locally: the raw request:start
// and request:end traces of every process are sent to the CLI, which pairs
// them. (Port of jstrace's "Full analysis example".)
//
//	jstrace -t service examples/scripts/response-duration.go
package main

import (
	"fmt"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Local(traces *script.Traces) {
	starts := map[int]time.Time{}
	traces.On("request:start", func(t *script.Trace) {
		starts[t.Int("id")] = t.Time
	})
	traces.On("request:end", func(t *script.Trace) {
		id := t.Int("id")
		start, ok := starts[id]
		if !ok {
			return
		}
		delete(starts, id)
		fmt.Printf("%d -> %dms\n", id, t.Time.Sub(start).Milliseconds())
	})
}
