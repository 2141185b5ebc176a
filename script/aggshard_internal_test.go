package script

import (
	"math"
	"slices"
	"strconv"
	"sync"
	"testing"
)

// allGroups is every shard's groups in one map (a key in several shards
// once, under a key with the shard's index prepended), for tests that
// add up what the groups hold.
func (a *Aggregation) allGroups() map[string]*Group {
	all := map[string]*Group{}
	for i := range a.shards {
		for k, g := range a.shards[i].groups {
			if _, dup := all[k]; dup {
				k = string(rune('0'+i)) + k
			}
			all[k] = g
		}
	}
	return all
}

// keysCost is what the shared set of keys costs.
func (a *Aggregation) keysCost() int64 {
	var n int64
	for k := range a.keys {
		n += keyCost(k)
	}
	return n
}

// Goroutines feeding one Aggregation from every core at once: Take merges
// the shards exactly (counts, integer sums, min, max, histogram counts),
// Snapshot agrees with it, MaxGroups bounds the keys across shards (the
// rest counted in Dropped, nothing lost), and taking gives back every
// byte.
func TestShardsMergeExactly(t *testing.T) {
	if shardCount() == 1 {
		t.Skip("one core: one shard")
	}
	const workers, per = 8, 3000
	a, err := newAggregation(Agg{By: "k", Of: "v"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				key := []byte(strconv.Itoa(i % 7))
				if i%5 == 0 { // keys of this worker alone: 4,800, past MaxGroups
					key = []byte("w" + strconv.Itoa(w) + "-" + strconv.Itoa(i))
				}
				a.update(key, float64(i+w), true)
			}
		}()
	}
	wg.Wait()
	used := 0
	for i := range a.shards {
		if len(a.shards[i].groups) > 0 {
			used++
		}
	}
	snap := a.Snapshot()
	gs := a.Take()
	if !slices.EqualFunc(snap, gs, func(x, y Group) bool {
		return x.Key == y.Key && x.Count == y.Count && x.Sum == y.Sum && x.Min == y.Min && x.Max == y.Max
	}) {
		t.Fatalf("Snapshot and Take disagree")
	}
	total, shared := 0, 0
	for _, g := range gs {
		total += g.Count
		if n := g.hist.count(); n != uint64(g.Count) {
			t.Errorf("group %q: histogram counts %d of %d", g.Key, n, g.Count)
		}
		if len(g.Key) == 1 { // a shared key: every worker's i%7 == key, i%5 != 0
			shared++
			var count, sum int
			min, max := math.MaxInt, 0
			for w := range workers {
				for i := range per {
					if strconv.Itoa(i%7) == g.Key && i%5 != 0 {
						count++
						sum += i + w
						min, max = minInt(min, i+w), maxInt(max, i+w)
					}
				}
			}
			if g.Count != count || g.Sum != float64(sum) || g.Min != float64(min) || g.Max != float64(max) {
				t.Errorf("group %q: %d %v %v %v, want %d %d %d %d", g.Key, g.Count, g.Sum, g.Min, g.Max, count, sum, min, max)
			}
		}
	}
	if shared != 7 {
		t.Errorf("%d of the 7 shared keys", shared)
	}
	if len(gs) > MaxGroups {
		t.Errorf("%d groups, MaxGroups is %d", len(gs), MaxGroups)
	}
	if total+a.Dropped() != workers*per {
		t.Errorf("%d counted + %d dropped, %d fed", total, a.Dropped(), workers*per)
	}
	if a.bytes != 0 || len(a.keys) != 0 {
		t.Errorf("after Take: %d bytes, %d keys held", a.bytes, len(a.keys))
	}
	t.Logf("%d of %d shards used, %d groups, %d dropped", used, len(a.shards), len(gs), a.Dropped())
}

func minInt(x, y int) int {
	if x < y {
		return x
	}
	return y
}

func maxInt(x, y int) int {
	if x > y {
		return x
	}
	return y
}
