package script_test

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/script"
)

// limited returns an Aggregation fed by the probe called name, whose host
// bounds it with l, as the agent does.
func limited(t *testing.T, name string, spec script.Agg, l scripthost.AggLimits) *script.Aggregation {
	t.Helper()
	h := &host{}
	a := scripthost.NewTraces(h).Aggregate(name, spec)
	h.aggs[0].Limit(l)
	sub := jstrace.SubscribeFunc(func(n string) bool { return n == name }, h.aggs[0].Event)
	t.Cleanup(sub.Close)
	return a
}

// Snapshot, called while probes start new groups, never lets the
// Aggregation hold more than MaxGroups: it used to take the groups, let
// the probes fill a fresh map, and merge the taken ones back on top.
func TestAggregateSnapshotHoldsMaxGroups(t *testing.T) {
	a := fed(t, "budget:snapshot", script.Agg{By: "id"})
	p := jstrace.NewProbe("budget:snapshot")
	for i := range script.MaxGroups {
		p.Emit("id", i)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := script.MaxGroups; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			p.Emit("id", i)
		}
	}()
	deadline := time.Now().Add(500 * time.Millisecond)
	for time.Now().Before(deadline) {
		if n := len(a.Snapshot()); n > script.MaxGroups {
			close(stop)
			wg.Wait()
			t.Fatalf("Snapshot returned %d groups, MaxGroups is %d", n, script.MaxGroups)
		}
	}
	close(stop)
	wg.Wait()
	if n := len(a.Take()); n > script.MaxGroups {
		t.Fatalf("the aggregation grew to %d groups, MaxGroups is %d", n, script.MaxGroups)
	}
	if a.Dropped() == 0 {
		t.Fatal("no trace was dropped")
	}
}

// The groups of Aggregations that share a Pool hold at most its bytes,
// each at most its MaxBytes, however long their keys and wide their
// distributions; Take gives the memory back.
func TestAggregateMemoryIsBounded(t *testing.T) {
	pool := scripthost.NewPool(256 << 10)
	spec := script.Agg{By: "key", Of: "v"}
	a := limited(t, "budget:mem", spec, scripthost.AggLimits{MaxBytes: 192 << 10, Pool: pool})
	b := limited(t, "budget:mem", spec, scripthost.AggLimits{MaxBytes: 192 << 10, Pool: pool})
	p := jstrace.NewProbe("budget:mem")
	pad := "................................................................"[:60]
	for i := range 20000 {
		// Values 2^±k apart spread each group's histogram wide.
		v := float64(uint64(1) << (i % 60))
		if i%3 == 0 {
			v = -1 / v
		}
		p.Emit("key", pad+strconv.Itoa(i%900), "v", v)
	}
	if used := pool.Used(); used > pool.Limit() || used < pool.Limit()/2 {
		t.Fatalf("the pool holds %d bytes, want at most %d and more than half", used, pool.Limit())
	}
	if a.Dropped() == 0 || b.Dropped() == 0 {
		t.Fatalf("dropped %d and %d, want some", a.Dropped(), b.Dropped())
	}
	groups := a.Take()
	if len(groups) == 0 || len(groups) >= 900 {
		t.Fatalf("%d groups", len(groups))
	}
	b.Take()
	if used := pool.Used(); used != 0 {
		t.Fatalf("after Take the pool holds %d bytes", used)
	}
}

// Without a host's bounds, an Aggregation holds at most
// DefaultMaxAggregationBytes: a thousand groups of wide distributions
// would take 32 MiB.
func TestAggregateDefaultMemoryBound(t *testing.T) {
	a := fed(t, "budget:default", script.Agg{By: "key", Of: "v"})
	p := jstrace.NewProbe("budget:default")
	for i := range 200000 {
		v := float64(uint64(1) << (i % 64))
		if i%2 == 0 {
			v = -1 / v
		}
		p.Emit("key", i%script.MaxGroups, "v", v)
	}
	if a.Dropped() == 0 {
		t.Fatal("nothing dropped: the aggregation holds more than its default bound")
	}
	buckets := 0
	for _, g := range a.Snapshot() {
		buckets += g.Count // a group's buckets hold at least one count each: a loose lower bound
	}
	if buckets == 0 {
		t.Fatal("nothing aggregated")
	}
}
