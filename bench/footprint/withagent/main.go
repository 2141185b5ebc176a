// Command withagent is the same service with probes and the jstrace agent.
package main

import (
	"log/slog"
	"net/http"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/bench/footprint/idle"
)

var hello = jstrace.NewProbe("hello")

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if hello.Enabled() {
			hello.Emit("path", r.URL.Path)
		}
		w.Write([]byte("hello\n"))
	})
	idle.Serve(func() func() {
		a, err := agent.Listen(agent.Options{NoDiscovery: true, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			panic(err)
		}
		return func() { a.Close() }
	})
}
