//go:build ignore

// Errors by route, with their messages, as jstracehttp reports them: on
// the layer where each happened (a handler's jstracehttp.Error or a
// panic), whether an outer layer handled it or not, and the 5xx responses
// no handler explained.
//
//	jstrace -t service examples/scripts/http-errors.go
package main

import (
	"fmt"

	"github.com/jstrace-go/jstrace/script"
)

func Local(traces *script.Traces) {
	show := func(t *script.Trace) {
		state := "UNHANDLED"
		if t.Bool("handled") {
			state = "handled"
		}
		fmt.Printf("%s/%d  %-24s layer %-12q %-9s %s  (request %s)\n", t.Hostname, t.PID,
			t.Str("route"), t.Str("layer"), state, t.Str("error"), t.Str("request_id"))
	}
	// Every error fires on its layer; those outside any layer (and 5xx
	// responses without a reported error) only on the request.
	traces.On("http:layer:error", show)
	traces.On("http:request:error", func(t *script.Trace) {
		if t.Str("layer") == "" {
			show(t)
		}
	})
}
