//go:build ignore

// What happens when a remote handler fails: the panic is recovered inside
// the traced process, which goes on serving, and reported here with the
// process prefix and the script position.
//
//	jstrace -t service examples/scripts/remote-errors.go
package main

import "github.com/jstrace-go/jstrace/script"

func Remote(traces *script.Traces) {
	var failures map[string]int // never made: writing to it panics
	traces.On("request:error", func(t *script.Trace) {
		failures[t.Str("err")]++
	})
}
