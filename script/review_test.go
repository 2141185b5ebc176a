package script_test

import (
	"testing"

	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/script"
)

// Merged's doc: groups of another By than the first shipment's (another
// version of the script) are dropped. It compared only the number of By
// fields, so a By "status" shipment merged into the groups of By "route"
// ("/a" and "500" side by side as values of one field), and a different
// Of added the sums of another field.
func TestReviewMergedByNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    script.Agg
	}{
		{"other By", script.Agg{By: "status", Of: "v"}},
		{"other Of", script.Agg{By: "route", Of: "status"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := newRemote(script.Agg{By: "route", Of: "v"}), newRemote(tc.b)
			lh := &host{}
			merged := scripthost.NewTraces(lh).Merged("reqs")
			a.add(parse(t, event{route: "/a", status: 200, v: 1}.record()))
			b.add(parse(t, event{route: "/a", status: 500, v: 2}.record()))
			b.add(parse(t, event{route: "/a", status: 500, v: 3}.record()))
			for _, r := range []*remote{a, b} {
				r.h.ends[0]()
				r.deliver(t, lh.aggs[0].Trace)
			}
			gs := merged.Take()
			if len(gs) != 1 || gs[0].Key != "/a" || gs[0].Count != 1 || gs[0].Sum != 1 || merged.Dropped() != 2 {
				t.Fatalf("groups %v, dropped %d; want /a: 1 (sum 1), 2 dropped", gs, merged.Dropped())
			}
		})
	}
}
