//go:build ignore

// Reading a service's own state from inside it: the example service opts
// its state package in for remote scripts (agent.Options.Packages), and the
// script marks the import //jstrace:remote, so that the CLI leaves it (and
// Remote) out of what it runs locally.
//
//	jstrace -t service examples/scripts/inflight.go
package main

import (
	"fmt"
	"time"

	"github.com/jstrace-go/jstrace/examples/service/state" //jstrace:remote
	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	traces.Every(500*time.Millisecond, func() {
		traces.Emit("inflight", "n", state.Inflight())
	})
}

func Local(traces *script.Traces) {
	traces.On("inflight", func(t *script.Trace) {
		fmt.Printf("%s/%s/%d: %d requests in flight\n", t.Hostname, t.Title, t.PID, t.Int("n"))
	})
}
