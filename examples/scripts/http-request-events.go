//go:build ignore

// Each request's events in order, as jstracehttp and EmitContext fire
// them: every event carrying a request_id, prefixed by that ID and the
// time since the request's previous event.
//
//	jstrace -t service examples/scripts/http-request-events.go
package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Local(traces *script.Traces) {
	last := map[string]time.Time{}
	traces.On("*", func(t *script.Trace) {
		id := t.Str("request_id")
		if id == "" {
			return
		}
		delta := time.Duration(0)
		if prev, ok := last[id]; ok {
			delta = t.Time.Sub(prev)
		}
		last[id] = t.Time
		if strings.HasSuffix(t.Name, "request:end") {
			delete(last, id) // done: keep the map small
		}
		var b strings.Builder
		for _, k := range t.Keys() {
			if k != "request_id" {
				fmt.Fprintf(&b, " %s=%s", k, t.Str(k))
			}
		}
		fmt.Printf("%s %-22s +%-8v%s\n", id, t.Name, delta.Round(10*time.Microsecond), b.String())
	})
}
