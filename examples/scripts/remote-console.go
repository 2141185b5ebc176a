//go:build ignore

// Remote console output with the process prefix: traces.Dump prints
// "hostname/title/pid >> ", so output from a cluster can be told apart.
//
//	jstrace examples/scripts/remote-console.go
package main

import (
	"fmt"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	traces.On("api:buffer", func(t *script.Trace) {
		traces.Dump(t.Int("size"))
	})
	traces.On("request:error", func(t *script.Trace) {
		traces.Error("request", t.Int("id"), "failed:", t.Str("err"))
	})
	fmt.Println("remote console ready") // fmt in Remote reaches the CLI too
}
