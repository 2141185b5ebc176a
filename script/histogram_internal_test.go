package script

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Every finite positive value lands in a bucket whose middle is within
// 1/32 of it, including powers of two, their neighbours and subnormals.
func TestBucketError(t *testing.T) {
	vals := []float64{math.SmallestNonzeroFloat64, 1e-300, 0.001, 0.5, 1, 1.0625, 2, 3, 1000, 1e9, 1e300, math.MaxFloat64}
	for e := -40; e <= 40; e++ {
		p := math.Ldexp(1, e)
		vals = append(vals, p, math.Nextafter(p, 0), math.Nextafter(p, math.Inf(1)))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		vals = append(vals, math.Exp(r.NormFloat64()*20))
	}
	for _, v := range vals {
		mid := layout{}.mid(bucketOf(v))
		if math.Abs(mid-v) > v/32 && v > 1e-307 { // subnormals have less precision
			t.Errorf("%g: bucket %d, middle %g (off by %.2f%%)", v, bucketOf(v), mid, 100*math.Abs(mid-v)/v)
		}
	}
}

// A histogram never holds more than maxSpan buckets of one sign, however
// far apart its values are; the outliers go to the edge buckets.
func TestHistogramSpanIsBounded(t *testing.T) {
	var h histogram
	for _, v := range []float64{1, 1e300, 1e-300, 1e100, -1e-300, -1e300, 0} {
		h.add(v)
	}
	if len(h.pos.n) > maxSpan || len(h.neg.n) > maxSpan {
		t.Fatalf("%d positive and %d negative buckets, want at most %d", len(h.pos.n), len(h.neg.n), maxSpan)
	}
	if h.count() != 7 {
		t.Fatalf("count %d, want 7", h.count())
	}
}
