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

// bucketOf reads the bucket off a value's bits; it must agree with its
// definition by math.Frexp for every finite positive value: powers of two
// and their neighbours, the sub-buckets' edges, subnormals and random bit
// patterns.
func TestBucketOfBits(t *testing.T) {
	vals := []float64{math.SmallestNonzeroFloat64, math.Nextafter(0x1p-1022, 0), 0x1p-1022, 1e-300, 1, 1.0625, math.Nextafter(1.0625, 0), 1500, 1e9, math.MaxFloat64}
	for e := -1074; e <= 1023; e++ {
		p := math.Ldexp(1, e)
		vals = append(vals, p, math.Nextafter(p, 0), math.Nextafter(p, math.Inf(1)), p*1.5)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		v := math.Float64frombits(r.Uint64() &^ (1 << 63))
		if v > 0 && !math.IsInf(v, 0) && !math.IsNaN(v) {
			vals = append(vals, v)
		}
		vals = append(vals, float64(r.Int64N(1e10)+1)) // durations in ns
	}
	for _, v := range vals {
		if v <= 0 || math.IsInf(v, 0) {
			continue
		}
		if got, want := bucketOf(v), bucketOfFrexp(v); got != want {
			t.Fatalf("bucketOf(%g) = %d, want %d", v, got, want)
		}
	}
}

// bucketOfFrexp is bucketOf by its definition.
func bucketOfFrexp(v float64) int32 {
	frac, exp := math.Frexp(v) // v = frac × 2^exp, frac in [0.5, 1)
	return int32(exp)*subBuckets + int32((2*frac-1)*subBuckets)
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
