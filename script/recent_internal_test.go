package script

import (
	"fmt"
	"strings"
	"testing"
)

// The groups a shard remembers (recentGroups) are only a shortcut to its
// map: keys that share a slot, keys too long to remember and the empty
// key each count in their own group, and a Take forgets them all, so that
// what comes after it counts in new groups.
func TestRecentGroups(t *testing.T) {
	a, err := newAggregation(Agg{By: "k", Of: "v"})
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"", "200", "201", "500", "GET", strings.Repeat("x", recentKeyLen), strings.Repeat("y", recentKeyLen+1)}
	// Keys that share a slot with "200".
	for i := 0; len(keys) < 12; i++ {
		k := fmt.Sprint(i)
		if recentSlot([]byte(k)) == recentSlot([]byte("200")) && k != "200" {
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
