package script

import (
	"fmt"
	"strings"
	"testing"
	"unsafe"
)

// The groups a shard remembers (recentGroups) are only a shortcut to its
// map: keys that share a tag or a slot, long keys and the empty
// key each count in their own group, and a Take forgets them all, so that
// what comes after it counts in new groups.
func TestRecentGroups(t *testing.T) {
	a, err := newAggregation(Agg{By: "k", Of: "v"})
	if err != nil {
		t.Fatal(err)
	}
	a.shards = newShards(1) // whichever P the test runs on
	sh := &a.shards[0]
	keys := []string{"", "200", "201", "500", "GET", strings.Repeat("x", 23), strings.Repeat("y", 300), "a,b"}
	// Keys of one tag, then keys that share a slot with "200".
	keys = append(keys, "a1b2c", "a2b1c", "/users/7/a", "/users/8/a")
	if keyTag([]byte("a1b2c")) != keyTag([]byte("a2b1c")) || keyTag([]byte("/users/7/a")) != keyTag([]byte("/users/8/a")) {
		t.Fatal("the keys meant to share a tag do not")
	}
	for i := 0; len(keys) < 16; i++ {
		k := fmt.Sprint(i)
		if recentSlot(keyTag([]byte(k))) == recentSlot(keyTag([]byte("200"))) && k != "200" {
			keys = append(keys, k)
		}
	}
	for round := range 3 {
		want := map[string]int{}
		for i := range 500 {
			k := keys[(i*7+round)%len(keys)]
			if i%3 == 0 {
				k = keys[0]
			}
			want[k]++
			a.update([]byte(k), float64(i+1), true)
			if e := sh.recent[recentSlot(keyTag([]byte(k)))]; e.g != sh.groups[k] {
				t.Fatalf("round %d: %q's slot holds %v, not its group", round, k, e.g)
			}
		}
		got := map[string]int{}
		for _, g := range a.Take() {
			got[g.Key] += g.Count
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("round %d: took %v, want %v", round, got, want)
		}
	}
}

// A lineGroup fills the 192-byte size class exactly, whose objects start
// on cache lines: two shards' groups never share one.
func TestLineGroupSize(t *testing.T) {
	if n := unsafe.Sizeof(lineGroup{}); n != 192 {
		t.Fatalf("a lineGroup is %d bytes, want 192", n)
	}
}
