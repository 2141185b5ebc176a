package script_test

import (
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/script"
)

// BenchmarkAggregateEvent: an event of a probe that only an Aggregation
// watches, fed as the probe fires (the agent's way): the whole cost to
// the traced goroutine, for Aggs of one field, two, with a predicate.
func BenchmarkAggregateEvent(b *testing.B) {
	for _, tc := range []struct {
		name string
		spec script.Agg
	}{
		{"by-status", script.Agg{By: "status", Of: "duration"}},
		{"by-path-status", script.Agg{By: "path,status", Of: "duration"}},
		{"where", script.Agg{By: "status", Of: "duration", Where: "status>=201"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			name := "bench:agg-" + tc.name
			fed(b, name, tc.spec)
			p := jstrace.NewProbe(name)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				p.Emit("id", i, "method", "GET", "path", "/users/7", "status", 200+i%2, "duration", time.Duration(i))
			}
		})
	}
}
