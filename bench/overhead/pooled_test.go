package main

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistBuckets(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for range 100000 {
		d := time.Duration(r.Uint64N(1 << uint(r.IntN(62))))
		i := histBucket(d)
		if i < 0 || i+1 >= histBuckets || histLow(i) > d || d >= histLow(i+1) {
			t.Fatalf("%d ns in bucket %d: [%d, %d)", d, i, histLow(i), histLow(i+1))
		}
	}
}

func TestHistQuantile(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	lat := make([]time.Duration, 50000)
	for i := range lat {
		lat[i] = time.Duration(r.ExpFloat64() * float64(300*time.Microsecond))
	}
	h := newLatHist(lat)
	slices.Sort(lat)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		exact := lat[int(q*float64(len(lat)))]
		if got := h.quantile(q); got < exact*99/100 || got > exact*101/100 {
			t.Errorf("p%g: %v, exact %v", 100*q, got, exact)
		}
	}
}
