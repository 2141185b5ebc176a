package script

import (
	"strconv"
	"sync"
	"testing"

	"github.com/jstrace-go/jstrace/internal/scripthost/link"
)

// feedEveryShard adds v to the group of key in every shard of a, each in
// turn the only one whose lock is free. Nothing else may lock a shard
// meanwhile (update would then wait for a lock the caller holds).
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

// The session's Pool and the Aggregation's bytes go back to zero after a
// Take that races probes starting groups of the same keys in other shards
// (each key's place in the shared set given back once), and a Take after
// the probes have stopped finds every trace counted once.
func TestShardsGiveBackThePool(t *testing.T) {
	a, err := newAggregation(Agg{By: "k", Of: "v"})
	if err != nil {
		t.Fatal(err)
	}
	a.shards = newShards(4)
	pool := link.NewPool(1 << 30)
	a.limit(link.AggLimits{MaxBytes: 1 << 30, Pool: pool})
	const workers, per = 4, 2000
	for k := range 37 { // every key in every shard to begin with
		feedEveryShard(a, strconv.Itoa(k), 1)
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				a.update([]byte(strconv.Itoa((i+w)%37)), float64(i%1000), true)
			}
		}()
	}
	total := 0
	for range 20 {
		for _, g := range a.Take() {
			total += g.Count
		}
	}
	wg.Wait()
	for _, g := range a.Take() {
		total += g.Count
	}
	fed := workers*per + 37*len(a.shards)
	if total+a.Dropped() != fed {
		t.Errorf("%d counted + %d dropped, %d fed", total, a.Dropped(), fed)
	}
	if a.bytes != 0 || pool.Used() != 0 || len(a.keys) != 0 {
		t.Errorf("after Take: %d bytes, pool %d, %d keys", a.bytes, pool.Used(), len(a.keys))
	}
}
