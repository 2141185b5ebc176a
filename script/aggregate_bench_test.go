package script_test

import (
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/script"
)

// BenchmarkAggregateEvent: an event of a probe that only an Aggregation
// watches, fed as the probe fires (the agent's way): the whole cost to
// the traced goroutine, for Aggs of one field, two, with a predicate,
// and of a field with 1,000 values (each event's group one the shard's
// recent groups do not hold).
func BenchmarkAggregateEvent(b *testing.B) {
	for _, tc := range []struct {
		name string
		spec script.Agg
		ids  int // the id field's values: 0 for a new one every event
	}{
		{"by-status", script.Agg{By: "status", Of: "duration"}, 0},
		{"by-path-status", script.Agg{By: "path,status", Of: "duration"}, 0},
		{"where", script.Agg{By: "status", Of: "duration", Where: "status>=201"}, 0},
		{"by-id-1000", script.Agg{By: "id", Of: "duration"}, 1000},
	} {
		b.Run(tc.name, func(b *testing.B) {
			name := "bench:agg-" + tc.name
			fed(b, name, tc.spec)
			p := jstrace.NewProbe(name)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				id := i
				if tc.ids > 0 {
					id = i * 7919 % tc.ids // not in order: a different slot each time
				}
				p.Emit("id", id, "method", "GET", "path", "/users/7", "status", 200+i%2, "duration", time.Duration(i))
			}
		})
	}
}
