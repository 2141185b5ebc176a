package main

import (
	"fmt"
	"slices"
)

// comparison is the outcome of compare: the medians of each side and the
// per-round differences of b from a.
type comparison struct {
	name       string
	base, with stats
	p99        spread // relative: with/base - 1
	cpu        spread // absolute: with - base, in cores
	// pooled is the p99 of all of b's requests against all of a's, minus
	// one, with a 90% confidence interval (see pooledP99).
	pooled, pooledLo, pooledHi float64
}

func (c comparison) throughput() float64 { return c.with.rps/c.base.rps - 1 }

// spread is a sample of per-round differences, sorted.
type spread []float64

// quantile returns the q-quantile, interpolating between neighbours.
func (s spread) quantile(q float64) float64 {
	if len(s) == 0 {
		return 0
	}
	x := q * float64(len(s)-1)
	i := int(x)
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[i] + (x-float64(i))*(s[i+1]-s[i])
}

// String formats the median and interquartile range, scaled.
func (s spread) String(scale float64, unit string) string {
	return fmt.Sprintf("%+.1f%s (%+.0f…%+.0f)", scale*s.quantile(0.5), unit, scale*s.quantile(0.25), scale*s.quantile(0.75))
}

// compare alternates runs of a and b in ABBA order, so that a drift of the
// machine over the whole measurement (other tenants, thermal, caches) falls
// on both sides alike, and prints every run and the per-round ratios of p99
// latency: pairing each run with its neighbour takes out the slow drifts
// that dwarf the difference on a shared machine.
func compare(aName string, a func() (stats, error), bName string, b func() (stats, error), rounds int) (comparison, error) {
	c := comparison{name: bName}
	var as, bs []stats
	for i := range rounds {
		first, second := a, b
		if i%2 == 1 {
			first, second = b, a
		}
		x, err := first()
		if err != nil {
			return c, err
		}
		y, err := second()
		if err != nil {
			return c, err
		}
		if i%2 == 1 {
			x, y = y, x
			y.print(bName)
			x.print(aName)
		} else {
			x.print(aName)
			y.print(bName)
		}
		as, bs = append(as, x), append(bs, y)
		c.p99 = append(c.p99, float64(y.p99)/float64(x.p99)-1)
		c.cpu = append(c.cpu, y.cpu-x.cpu)
	}
	slices.Sort(c.p99)
	slices.Sort(c.cpu)
	fmt.Printf("p99 %s/%s per round: ", bName, aName)
	for _, r := range c.p99 {
		fmt.Printf("%+.0f%% ", 100*r)
	}
	fmt.Printf("(median %+.1f%%)\n", 100*c.p99.quantile(0.5))
	c.pooled, c.pooledLo, c.pooledHi = pooledP99(as, bs)
	fmt.Printf("p99 of every %s request against every %s one: %s\n", bName, aName, pooledString(c.pooled, c.pooledLo, c.pooledHi))
	c.base, c.with = median(as), median(bs)
	return c, nil
}
