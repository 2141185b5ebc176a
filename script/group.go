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
// fall (q = 0.5: the median, 0.99: the 99th percentile), to within ~3%: it
// is read from a histogram of 16 buckets per power of two. Quantile(0) is
// Min and Quantile(1) is Max, exactly. It is 0 without an Of field.
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
// combine groups, say every status of 500 and over.
func (g *Group) Merge(o Group) {
	if o.Count == 0 {
		return
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
