package script_test

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/script"
)

// aggregate returns an Aggregation and the function its host feeds.
func aggregate(t *testing.T, spec script.Agg) (*script.Aggregation, func(*script.Trace)) {
	t.Helper()
	h := &host{}
	a := scripthost.NewTraces(h).Aggregate("request:end", spec)
	if len(h.aggs) != 1 || h.patterns[0] != "request:end" {
		t.Fatalf("host saw %v", h.patterns)
	}
	return a, h.aggs[0].Trace
}

func dur(key string, d time.Duration) []byte {
	return binary.AppendVarint(field(key, protocol.KindDuration), int64(d))
}

func TestAggregateGroupsAndReduces(t *testing.T) {
	a, add := aggregate(t, script.Agg{By: "status", Of: "duration"})
	r := rand.New(rand.NewPCG(3, 4))
	want := map[string][]float64{}
	for i := range 30000 {
		status := []int64{200, 200, 200, 404, 500}[i%5]
		d := time.Duration(math.Exp(r.NormFloat64() + 13)) // around 440 µs
		add(parse(t, record("request:end", num("status", status), dur("duration", d))))
		k := fmt.Sprint(status)
		want[k] = append(want[k], float64(d))
	}
	add(parse(t, record("request:end", num("status", 200), str("duration", "slow")))) // not a number
	add(parse(t, record("request:end", num("status", 200))))                          // no value
	groups := a.Take()
	if len(groups) != 3 || groups[0].Key != "200" || groups[1].Key != "404" || groups[2].Key != "500" {
		t.Fatalf("groups %v", groups)
	}
	for _, g := range groups {
		vs := want[g.Key]
		slices.Sort(vs)
		sum := 0.0
		for _, v := range vs {
			sum += v
		}
		if g.Count != len(vs) || math.Abs(g.Sum-sum) > sum*1e-9 || g.Min != vs[0] || g.Max != vs[len(vs)-1] {
			t.Errorf("%s: count %d sum %g min %g max %g, want %d %g %g %g", g.Key, g.Count, g.Sum, g.Min, g.Max, len(vs), sum, vs[0], vs[len(vs)-1])
		}
		for _, q := range []float64{0.01, 0.1, 0.5, 0.9, 0.99, 0.999} {
			exact := vs[int(q*float64(len(vs)-1))]
			if got := g.Quantile(q); math.Abs(got-exact) > exact/32 {
				t.Errorf("%s: p%g = %g, exact %g (off by %.1f%%)", g.Key, 100*q, got, exact, 100*math.Abs(got-exact)/exact)
			}
		}
		if g.Quantile(0) != g.Min || g.Quantile(1) != g.Max {
			t.Errorf("%s: Quantile(0), Quantile(1) = %g, %g; want Min, Max", g.Key, g.Quantile(0), g.Quantile(1))
		}
	}
	if a.Missing() != 2 {
		t.Errorf("Missing %d, want 2", a.Missing())
	}
	if len(a.Take()) != 0 {
		t.Error("Take did not start over")
	}
}

func TestAggregateKeys(t *testing.T) {
	a, add := aggregate(t, script.Agg{By: "k"})
	uint9 := append(field("k", protocol.KindUint), 9)
	for _, f := range [][]byte{str("k", "GET"), str("k", "GET"), num("k", -7), uint9, field("k", protocol.KindTrue), nil} {
		add(parse(t, record("request:end", f)))
	}
	var got []string
	for _, g := range a.Snapshot() {
		got = append(got, fmt.Sprintf("%q:%d", g.Key, g.Count))
	}
	if want := []string{`"":1`, `"-7":1`, `"9":1`, `"GET":2`, `"true":1`}; !slices.Equal(got, want) {
		t.Errorf("groups %v, want %v", got, want)
	}
}

func TestAggregateMaxGroups(t *testing.T) {
	a, add := aggregate(t, script.Agg{By: "id"})
	for i := range script.MaxGroups + 10 {
		add(parse(t, record("request:end", num("id", int64(i)))))
	}
	add(parse(t, record("request:end", num("id", 1)))) // an existing group still counts
	if n := len(a.Snapshot()); n != script.MaxGroups || a.Dropped() != 10 {
		t.Fatalf("%d groups, %d dropped; want %d, 10", n, a.Dropped(), script.MaxGroups)
	}
}

func TestAggregateSnapshotIsACopy(t *testing.T) {
	a, add := aggregate(t, script.Agg{Of: "v"})
	add(parse(t, record("request:end", num("v", 10))))
	snap := a.Snapshot()
	for range 100 {
		add(parse(t, record("request:end", num("v", 1000))))
	}
	if g := snap[0]; g.Count != 1 || g.Quantile(0.5) != 10 || g.Max != 10 {
		t.Fatalf("snapshot changed: %v", g)
	}
	if g := a.Snapshot()[0]; g.Count != 101 || g.Quantile(0.5) < 968 {
		t.Fatalf("aggregation did not go on: %v", g)
	}
}

// Merging groups gives what one group would have kept of both traces, and
// leaves the merged group untouched.
func TestGroupMerge(t *testing.T) {
	both, addBoth := aggregate(t, script.Agg{Of: "v"})
	x, addX := aggregate(t, script.Agg{Of: "v"})
	y, addY := aggregate(t, script.Agg{Of: "v"})
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 5000 {
		tr := parse(t, record("request:end", num("v", int64(r.IntN(2000)-500))))
		addBoth(tr)
		if i%3 == 0 {
			addX(tr)
		} else {
			addY(tr)
		}
	}
	g, o, w := x.Take()[0], y.Take()[0], both.Take()[0]
	oBefore := o.Quantile(0.5)
	g.Merge(o)
	if g.Count != w.Count || g.Sum != w.Sum || g.Min != w.Min || g.Max != w.Max {
		t.Fatalf("merged %v, want %v", g, w)
	}
	for q := 0.0; q <= 1; q += 0.05 {
		if g.Quantile(q) != w.Quantile(q) {
			t.Errorf("p%g: merged %g, one group %g", 100*q, g.Quantile(q), w.Quantile(q))
		}
	}
	if o.Quantile(0.5) != oBefore {
		t.Error("Merge modified its argument")
	}
	var empty script.Group
	empty.Merge(w)
	if empty.Min != w.Min || empty.Count != w.Count {
		t.Errorf("merge into an empty group: %v", empty)
	}
}

// Aggregating into existing groups allocates nothing: it is the per-trace
// cost a busy process pays.
func TestAggregateDoesNotAllocate(t *testing.T) {
	for _, tc := range []struct {
		name string
		rec  []byte
	}{
		{"int key", record("request:end", num("status", 200), dur("duration", time.Millisecond))},
		{"string key", record("request:end", str("status", "ok"), dur("duration", time.Millisecond))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, add := aggregate(t, script.Agg{By: "status", Of: "duration"})
			tr := parse(t, tc.rec)
			add(tr)
			if n := testing.AllocsPerRun(1000, func() { add(tr) }); n != 0 {
				t.Fatalf("%v allocations per trace", n)
			}
		})
	}
}
