package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// comparison is the outcome of a measurement: the medians of each side and
// the per-round differences of b from a.
type comparison struct {
	name       string
	base, with stats
	p99        spread // relative: with/base - 1
	cpu        spread // absolute: with - base, in cores
	// p99Lo and p99Hi bound the median of p99 with 90% confidence
	// (bootstrap over rounds).
	p99Lo, p99Hi float64
	// pooled is the p99 of all of b's requests against all of a's, minus
	// one, with a 90% confidence interval (see pooledP99).
	pooled, pooledLo, pooledHi float64
	// sat is b's saturation throughput against a's, per round, minus one,
	// with a 90% confidence interval of its median; nil if not measured.
	sat          spread
	satLo, satHi float64
	// tog is b's CPU a request against a's when both are loaded at once
	// (together), per round, minus one, with a 90% confidence interval of
	// its median; nil if not measured.
	tog          spread
	togLo, togHi float64
}

// setSaturation fills c's saturation figures from the paired closed-loop
// runs as and bs.
func (c *comparison) setSaturation(as, bs []stats) {
	c.sat = nil
	for i := range as {
		c.sat = append(c.sat, bs[i].rps/as[i].rps-1)
	}
	slices.Sort(c.sat)
	c.satLo, c.satHi = c.sat.medianInterval()
}

// saturation formats the saturation throughput figures, or "-".
func (c comparison) saturation() string { return medianString(c.sat, c.satLo, c.satHi) }

// medianString formats the median of s and its interval lo…hi, or "-" if
// s is empty.
func medianString(s spread, lo, hi float64) string {
	if len(s) == 0 {
		return "-"
	}
	return pooledString(s.quantile(0.5), lo, hi)
}

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

// medianInterval returns a 90% confidence interval of the median of s, by
// bootstrap (the same resamples every time).
func (s spread) medianInterval() (lo, hi float64) {
	if len(s) == 0 {
		return 0, 0
	}
	rng := rand.New(rand.NewPCG(3, 4))
	boot := make(spread, 1000)
	re := make(spread, len(s))
	for k := range boot {
		for i := range re {
			re[i] = s[rng.IntN(len(s))]
		}
		slices.Sort(re)
		boot[k] = re.quantile(0.5)
	}
	slices.Sort(boot)
	return boot.quantile(0.05), boot.quantile(0.95)
}

// alternate runs a and b rounds times in ABBA order, so that a drift of
// the machine over the whole measurement (other tenants, thermal, caches)
// falls on both sides alike, prints every run, and returns them in pairs:
// pairing each run with its neighbour takes out the slow drifts that dwarf
// the difference on a shared machine. Rounds are numbered from first, so
// that measurements made in parts keep the order going.
func alternate(aName string, a func() stats, bName string, b func() stats, first, rounds int) (as, bs []stats) {
	for i := first; i < first+rounds; i++ {
		if i%2 == 0 {
			x, y := a(), b()
			x.print(aName)
			y.print(bName)
			as, bs = append(as, x), append(bs, y)
		} else {
			y, x := b(), a()
			y.print(bName)
			x.print(aName)
			as, bs = append(as, x), append(bs, y)
		}
	}
	return as, bs
}

// summarize compares the paired runs as and bs and prints the p99 ratios.
func summarize(name, aName, bName string, as, bs []stats) comparison {
	c := comparison{name: name}
	for i := range as {
		c.p99 = append(c.p99, float64(bs[i].p99)/float64(as[i].p99)-1)
		c.cpu = append(c.cpu, bs[i].cpu-as[i].cpu)
	}
	slices.Sort(c.p99)
	slices.Sort(c.cpu)
	c.p99Lo, c.p99Hi = c.p99.medianInterval()
	fmt.Printf("p99 %s/%s per round: ", bName, aName)
	for _, r := range c.p99 {
		fmt.Printf("%+.0f%% ", 100*r)
	}
	fmt.Printf("(median %s)\n", pooledString(c.p99.quantile(0.5), c.p99Lo, c.p99Hi))
	c.pooled, c.pooledLo, c.pooledHi = pooledP99(as, bs)
	fmt.Printf("p99 of every %s request against every %s one: %s\n", bName, aName, pooledString(c.pooled, c.pooledLo, c.pooledHi))
	c.base, c.with = median(as), median(bs)
	return c
}
