package script_test

import (
	"fmt"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/script"
)

func ExampleTraces_On() {
	traces, end := exampleSession() // what the agent hands to Remote
	defer end()

	traces.On("example:request:*", func(t *script.Trace) {
		fmt.Println(t.Name, t.Int("status"), t.Str("path"), t.Hostname)
	})

	// The traced service, elsewhere:
	reqEnd := jstrace.NewProbe("example:request:end")
	reqEnd.Emit("status", 503, "path", "/users")
	// Output: example:request:end 503 /users api-1
}

func ExampleAggregation() {
	traces, end := exampleSession() // what the agent hands to Remote
	defer end()

	reqs := traces.Aggregate("example:request:done", script.Agg{By: "status", Of: "duration"})

	// The traced service, elsewhere:
	reqDone := jstrace.NewProbe("example:request:done")
	for i, status := range []int{200, 200, 500, 200} {
		reqDone.Emit("status", status, "duration", time.Duration(i+1)*time.Millisecond)
	}

	// Typically in an Every callback:
	for _, g := range reqs.Take() {
		fmt.Println(g.Key, g.Count, time.Duration(g.Mean()), time.Duration(g.Max))
	}
	// Output:
	// 200 3 2.333333ms 4ms
	// 500 1 3ms 3ms
}
