//go:build ignore

// Lengths of the buffers uploaded to the API, reported from inside each
// process: nothing but the console output crosses the wire. (Port of
// jstrace's "Remote analysis" example.)
//
//	jstrace -t service examples/scripts/buffer-length.go
package main

import "github.com/jstrace-go/jstrace/script"

func Remote(traces *script.Traces) {
	traces.On("api:buffer", func(t *script.Trace) {
		traces.Log(t.Int("size"))
	})
}
