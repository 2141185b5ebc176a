package main

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"time"
)

// A latHist counts latencies in log-linear buckets, 128 per power of two
// of nanoseconds (a quantile is read to within 1%), so that the runs of a
// side can be pooled by adding their counts.
type latHist []uint64

const (
	histSub     = 7 // log2 of the buckets per power of two
	histBuckets = (64 - histSub + 1) << histSub
)

func histBucket(d time.Duration) int {
	v := uint64(max(d, 0))
	if v < 1<<histSub {
		return int(v)
	}
	exp := bits.Len64(v) - 1 // v in [2^exp, 2^(exp+1))
	return (exp-histSub+1)<<histSub + int(v>>(exp-histSub)&(1<<histSub-1))
}

// histLow returns the smallest latency in bucket i.
func histLow(i int) time.Duration {
	if i < 1<<histSub {
		return time.Duration(i)
	}
	exp := i>>histSub + histSub - 1
	return time.Duration((1<<histSub | uint64(i)&(1<<histSub-1)) << (exp - histSub))
}

func newLatHist(lat []time.Duration) latHist {
	h := make(latHist, histBuckets)
	for _, d := range lat {
		h[histBucket(d)]++
	}
	return h
}

// quantile returns the q-quantile of the counted latencies, the middle of
// its bucket.
func (h latHist) quantile(q float64) time.Duration {
	total := uint64(0)
	for _, c := range h {
		total += c
	}
	rank, seen := uint64(q*float64(total)), uint64(0)
	for i, c := range h {
		if seen += c; seen > rank {
			return (histLow(i) + histLow(i+1)) / 2
		}
	}
	return 0
}

func (h latHist) add(o latHist) {
	for i, c := range o {
		h[i] += c
	}
}

// pooledP99 returns the p99 latency of the b runs' requests pooled, against
// that of the a runs' pooled, minus one; and a 90% confidence interval from
// a bootstrap over rounds (each round's pair resampled together, so that
// the pairing that takes out the machine's drift is kept).
//
// Pooling reads "p99 with and without a session" literally, over the whole
// measurement; but the pooled tail is set by the few rounds that catch a
// stall of the machine, so on a shared VM it scatters more from run to run
// than the median of the per-round ratios, which is reported next to it.
func pooledP99(as, bs []stats) (ratio, lo, hi float64) {
	pool := func(runs []stats, idx []int) latHist {
		h := make(latHist, histBuckets)
		for _, i := range idx {
			h.add(runs[i].hist)
		}
		return h
	}
	r := func(idx []int) float64 {
		return float64(pool(bs, idx).quantile(0.99))/float64(pool(as, idx).quantile(0.99)) - 1
	}
	all := make([]int, len(as))
	for i := range all {
		all[i] = i
	}
	ratio = r(all)
	rng := rand.New(rand.NewPCG(1, 2)) // the same resamples every time
	boot := make([]float64, 1000)
	idx := make([]int, len(as))
	for k := range boot {
		for i := range idx {
			idx[i] = rng.IntN(len(as))
		}
		boot[k] = r(idx)
	}
	slices.Sort(boot)
	return ratio, spread(boot).quantile(0.05), spread(boot).quantile(0.95)
}

// pooledString formats pooledP99's result.
func pooledString(ratio, lo, hi float64) string {
	return fmt.Sprintf("%+.1f%% (%+.0f…%+.0f)", 100*ratio, 100*lo, 100*hi)
}
