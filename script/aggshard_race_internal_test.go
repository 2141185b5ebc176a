package script

import (
	"sync"
	"testing"
)

// feedEveryShard adds v to the group of key in every shard of a, each in
// turn the only one whose lock is free.
func feedEveryShard(a *Aggregation, key string, v float64) {
	for s := range a.shards {
		for o := range a.shards {
			if o != s {
				a.shards[o].mu.Lock()
			}
		}
		a.update([]byte(key), v, true)
		for o := range a.shards {
			if o != s {
				a.shards[o].mu.Unlock()
			}
		}
	}
}

// Take merges the shards' groups of one key while a Snapshot may still be
// copying the group Take merges into: Take must not write a group that a
// shard held (run with -race), and neither may lose a count.
func TestTakeMergeRacesSnapshot(t *testing.T) {
	a, err := newAggregation(Agg{By: "k", Of: "v"})
	if err != nil {
		t.Fatal(err)
	}
	a.shards = newShards(4)
	for round := range 200 {
		for k := range 8 {
			feedEveryShard(a, string(rune('a'+k)), float64(round))
		}
		var wg sync.WaitGroup
		stop := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				for _, g := range a.Snapshot() {
					if g.Count > len(a.shards) || g.Count != int(g.hist.count()) {
						t.Errorf("snapshot: group %q counts %d, histogram %d", g.Key, g.Count, g.hist.count())
					}
				}
				select {
				case <-stop:
					return
				default:
				}
			}
		}()
		gs := a.Take()
		close(stop)
		wg.Wait()
		for _, g := range gs {
			if g.Count != len(a.shards) {
				t.Fatalf("round %d: group %q counts %d, want %d", round, g.Key, g.Count, len(a.shards))
			}
		}
		if a.bytes != 0 || len(a.keys) != 0 {
			t.Fatalf("after Take: %d bytes, %d keys", a.bytes, len(a.keys))
		}
	}
}
