//go:build ignore

// Errors by route, with their messages and whether a layer handled them:
// jstracehttp fires http:layer:error on the layer where an error happened
// (a handler's jstracehttp.Error, a panic, a failed statement) even when an
// outer layer answers it, and http:request:error once per failed request.
// Every two seconds Local prints what every process saw.
//
//	jstrace -t webapp examples/scripts/route-errors.go
package main

import (
	"fmt"
	"sort"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	traces.On("http:layer:error", func(t *script.Trace) {
		route := t.Str("route")
		if route == "" {
			route = "(no route)" // an outer layer answered before the mux chose one
		}
		traces.Emit("error", "route", route, "layer", t.Str("layer"),
			"handled", t.Bool("handled"), "error", t.Str("error"))
	})
}

func Local(traces *script.Traces) {
	type seen struct {
		n       int
		handled bool
		last    string
	}
	errs := map[string]*seen{}
	traces.On("error", func(t *script.Trace) {
		key := fmt.Sprintf("%-16s %-12s", t.Str("route"), t.Str("layer"))
		s := errs[key]
		if s == nil {
			s = &seen{}
			errs[key] = s
		}
		s.n++
		s.handled = t.Bool("handled")
		s.last = t.Str("error")
	})
	traces.Every(2*time.Second, func() {
		keys := make([]string, 0, len(errs))
		for k := range errs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			s := errs[k]
			how := "unhandled"
			if s.handled {
				how = "handled"
			}
			fmt.Printf("%s %4d %-9s %s\n", k, s.n, how, s.last)
		}
		if len(keys) > 0 {
			fmt.Println()
		}
		errs = map[string]*seen{}
	})
}
