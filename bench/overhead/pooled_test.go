package main

import (
	"math/rand/v2"
	"path/filepath"
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

func TestMedianInterval(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	sample := func(n int) spread {
		s := make(spread, n)
		for i := range s {
			s[i] = 0.05 + r.NormFloat64()*0.2 // per-round ratios around +5%
		}
		slices.Sort(s)
		return s
	}
	small, large := sample(30), sample(300)
	for _, s := range []spread{small, large} {
		lo, hi := s.medianInterval()
		if m := s.quantile(0.5); lo > m || m > hi {
			t.Errorf("n=%d: median %.3f outside its interval %.3f…%.3f", len(s), m, lo, hi)
		}
		if lo > 0.05 || hi < 0.05 {
			t.Logf("n=%d: %.3f…%.3f misses the true median (expected one time in ten)", len(s), lo, hi)
		}
	}
	sLo, sHi := small.medianInterval()
	lLo, lHi := large.medianInterval()
	if lHi-lLo >= sHi-sLo {
		t.Errorf("300 rounds give an interval of %.3f, 30 rounds %.3f: it should narrow", lHi-lLo, sHi-sLo)
	}
}

// TestReadRuns reads the outputs kept in runs/, which bench/README.md's
// combined figures come from: every run's all-rounds line, and not the
// lines of its split by load, which repeat rounds.
func TestReadRuns(t *testing.T) {
	files, err := filepath.Glob("runs/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("runs/*.txt: %v, %d files", err, len(files))
	}
	runs, _, err := readRuns(files)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		comparison  string
		runs, total int
	}{
		{"b/a", 6, 220},
		{"aggregate/untraced", 7, 300},
		{"handler/untraced", 1, 30},
	} {
		n := 0
		for _, r := range runs[want.comparison] {
			n += len(r)
		}
		if len(runs[want.comparison]) != want.runs || n != want.total {
			t.Errorf("%s: %d runs, %d rounds; want %d, %d", want.comparison, len(runs[want.comparison]), n, want.runs, want.total)
		}
	}
}
