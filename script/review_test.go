package script_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
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

// A By or Where field holding a bool or a float (a cache hit, a ratio)
// cost every event of the probe one or two allocations: the key was
// formatted by Trace.Str (fmt.Sprint) on the record's way, though the
// probe's path allocates nothing once the group exists. And the keys are
// those Trace.Str gives, as in Local.
func TestReviewAggregateBoolFloatDoNotAllocate(t *testing.T) {
	for i, tc := range []struct {
		spec script.Agg
		kv   []any
	}{
		{script.Agg{By: "hit", Of: "duration"}, []any{"hit", true, "duration", time.Millisecond}},
		{script.Agg{By: "route,hit"}, []any{"route", "/a", "hit", false}},
		{script.Agg{By: "route", Of: "duration", Where: "hit==true"}, []any{"route", "/a", "hit", true, "duration", time.Millisecond}},
		{script.Agg{By: "route", Where: "hit!=true"}, []any{"route", "/a", "hit", true}},
		{script.Agg{By: "ratio", Of: "duration"}, []any{"ratio", 0.25, "duration", time.Millisecond}},
		{script.Agg{By: "route,ratio"}, []any{"route", "/a", "ratio", float32(0.1)}},
		{script.Agg{By: "ratio"}, []any{"ratio", statusRatio(1e21)}}, // encoded
	} {
		name := fmt.Sprintf("reviewallocs:%d", i)
		t.Run(tc.spec.By+"/"+tc.spec.Where, func(t *testing.T) {
			fed(t, name, tc.spec)
			p := jstrace.NewProbe(name)
			p.Emit(tc.kv...)
			if n := testing.AllocsPerRun(1000, func() { p.Emit(tc.kv...) }); n != 0 {
				t.Fatalf("%v allocations per event", n)
			}
		})
	}
	// The keys, plain and encoded, are Trace.Str's.
	for i, v := range []any{true, false, 0.25, -0.0, 1e21, 1e20, 1e-7, 123456789.125, float32(0.1), math.Inf(1), math.NaN(), statusRatio(2.5)} {
		name := fmt.Sprintf("reviewkeys:%d", i)
		a := fed(t, name, script.Agg{By: "x,y"})
		d, move := decoded(t, name, script.Agg{By: "x,y"})
		jstrace.NewProbe(name).Emit("x", v, "y", v)
		move()
		got, want := a.Take(), d.Take()
		if len(got) != 1 || len(want) != 1 || got[0].Key != want[0].Key {
			t.Errorf("%T %v: in the probe %v, in Local %v", v, v, got, want)
		}
	}
}

type statusRatio float64 // a named type: not plain, so encoded

// A shipped record carries the By and Of field names, which the CLI's
// decoder bounds to 1 KiB (protocol.MaxGroupKey), but Ship cut only the
// keys: an aggregation by a longer field name shipped records that every
// CLI refused whole as malformed, every second, and Local's Merged stayed
// empty. Ship now refuses it at the call, in words, as it refuses a glob.
func TestReviewShipLongFieldName(t *testing.T) {
	long := strings.Repeat("f", 1025)
	for _, spec := range []script.Agg{{By: long}, {By: "a," + long}, {Of: long}} {
		t.Run(fmt.Sprint(len(spec.By), len(spec.Of)), func(t *testing.T) {
			defer func() {
				if s, _ := recover().(string); !strings.Contains(s, "at most 1024") {
					t.Fatalf("panic %q, want one saying at most 1024 bytes", s)
				}
			}()
			tr := scripthost.NewTraces(&agentHost{})
			tr.Ship("reqs", tr.Aggregate("x", spec))
		})
	}
}
