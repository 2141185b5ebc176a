package main

import (
	"fmt"
	"net/http"
	"time"

	"github.com/jstrace-go/jstrace"
)

// Declare a probe once. While nobody traces it, it costs one atomic load.
var reqEnd = jstrace.NewProbe("request:end")

func hello(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	fmt.Fprintln(w, "hello")
	if reqEnd.Enabled() {
		reqEnd.Emit("path", r.URL.Path, "status", 200, "duration", time.Since(start))
	}
	// Or, in one call, where a probe variable is not worth it:
	jstrace.Trace("hello:agent", "agent", r.UserAgent())
}
