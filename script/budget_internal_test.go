package script

import (
	"math"
	"math/rand/v2"
	"testing"
)

// growth says exactly by how much add grows the buckets: the memory bound
// of an Aggregation is charged before the histogram grows.
func TestHistogramGrowthIsExact(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 200 {
		var h histogram
		for range 300 {
			v := math.Ldexp(1+r.Float64(), r.IntN(200)-100)
			if r.IntN(3) == 0 {
				v = -v
			}
			before := 8 * int64(cap(h.pos.n)+cap(h.neg.n))
			var need int64
			if b, i := h.slot(v); b != nil {
				need = b.growth(i)
			}
			h.add(v)
			after := 8 * int64(cap(h.pos.n)+cap(h.neg.n))
			if after-before != need {
				t.Fatalf("adding %g: growth said %d bytes, the buckets grew by %d", v, need, after-before)
			}
			if cap(h.pos.n) > 2*maxSpan || cap(h.neg.n) > 2*maxSpan {
				t.Fatalf("capacities %d and %d past %d", cap(h.pos.n), cap(h.neg.n), 2*maxSpan)
			}
		}
	}
}

// Aggregation.bytes is what its groups hold: the sum of their costs.
func TestAggregationBytesAddUp(t *testing.T) {
	a, _ := newAggregation(Agg{By: "k", Of: "v"})
	r := rand.New(rand.NewPCG(7, 8))
	for range 5000 {
		key := []byte{byte('a' + r.IntN(26)), byte('a' + r.IntN(26))}
		a.update(key, math.Ldexp(1, r.IntN(120)-60), true)
	}
	var sum int64
	for _, g := range a.allGroups() {
		sum += groupCost + int64(len(g.Key)) + 8*int64(cap(g.hist.pos.n)+cap(g.hist.neg.n))
	}
	sum += a.keysCost()
	if sum != a.bytes {
		t.Fatalf("groups hold %d bytes, the aggregation counted %d", sum, a.bytes)
	}
}
