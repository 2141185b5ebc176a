// Command plain is a minimal HTTP service: the baseline of the footprint
// benchmark.
package main

import (
	"net/http"

	"github.com/jstrace-go/jstrace/bench/footprint/idle"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello\n")) })
	idle.Serve(nil)
}
