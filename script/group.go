package script

import (
	"fmt"
	"math"
)

// Mean returns Sum/Count, or 0 for an empty group.
func (g Group) Mean() float64 {
	if g.Count == 0 {
		return 0
	}
	return g.Sum / float64(g.Count)
}

// Quantile returns the value below which a fraction q of the group's values
// fall (q = 0.5: the median, 0.99: the 99th percentile), read from the
// group's histogram (see Hist): by default, of 16 buckets per power of
// two, to within 1/32 (~3%) of the value of that rank; with Linear, within
// half a step inside its range; with Pow2, within a factor of 1.5.
// Quantile(0) is Min and Quantile(1) is Max, exactly. It is 0 without an
// Of field.
func (g Group) Quantile(q float64) float64 {
	n := g.hist.count()
	switch {
	case n == 0:
		return 0
	case q <= 0:
		return g.Min
	case q >= 1:
		return g.Max
	}
	return math.Min(math.Max(g.hist.quantile(q, n), g.Min), g.Max)
}

// Merge adds o's traces to g (keeping g's Key): the result is what one
// group would have kept of both. Groups merge exactly, so that a script can
// combine groups, say every status of 500 and over. Groups of different
// Hists do not merge: Merge panics.
func (g *Group) Merge(o Group) {
	if o.Count == 0 {
		return
	}
	if g.Count == 0 {
		g.hist.lay = o.hist.lay
	} else if g.hist.lay != o.hist.lay {
		panic("script: Group.Merge of groups of different histograms: " + g.hist.lay.hist().String() + " and " + o.hist.lay.hist().String())
	}
	if g.Count == 0 || o.Min < g.Min {
		g.Min = o.Min
	}
	if g.Count == 0 || o.Max > g.Max {
		g.Max = o.Max
	}
	g.Count += o.Count
	g.Sum += o.Sum
	g.hist = g.hist.clone()
	g.hist.merge(&o.hist)
}

// String formats the group for printing: key, count, and the distribution
// when there is one.
func (g Group) String() string {
	if g.hist.count() == 0 {
		return fmt.Sprintf("%s: %d", g.Key, g.Count)
	}
	return fmt.Sprintf("%s: %d, min %g, mean %g, p50 %g, p99 %g, max %g",
		g.Key, g.Count, g.Min, g.Mean(), g.Quantile(0.5), g.Quantile(0.99), g.Max)
}

// A Bucket is a range of values of a group's histogram and how many of
// them the group counted: Lo ≤ value < Hi, except the bucket of zeros
// (Lo = Hi = 0) and, for negative values, Lo < value ≤ Hi. The edge
// buckets of a Linear Hist have Lo -Inf and Hi +Inf.
type Bucket struct {
	Lo, Hi float64
	Count  int
}

// Buckets returns the group's histogram, lowest values first: every bucket
// from the lowest that counted a value to the highest, empty ones in
// between included, as DTrace prints its quantize and lquantize
// aggregations. It is nil without an Of field.
func (g Group) Buckets() []Bucket {
	h := &g.hist
	var bs []Bucket
	for j := len(h.neg.n) - 1; j >= 0; j-- {
		lo, hi := h.lay.bounds(h.neg.off + int32(j))
		bs = append(bs, Bucket{Lo: -hi, Hi: -lo, Count: int(h.neg.n[j])})
	}
	if h.zeros > 0 || len(h.neg.n) > 0 && len(h.pos.n) > 0 {
		bs = append(bs, Bucket{Count: int(h.zeros)})
	}
	for j, c := range h.pos.n {
		lo, hi := h.lay.bounds(h.pos.off + int32(j))
		bs = append(bs, Bucket{Lo: lo, Hi: hi, Count: int(c)})
	}
	// Trim empty edges: buckets grow in doubled arrays.
	for len(bs) > 0 && bs[0].Count == 0 {
		bs = bs[1:]
	}
	for len(bs) > 0 && bs[len(bs)-1].Count == 0 {
		bs = bs[:len(bs)-1]
	}
	return bs
}
