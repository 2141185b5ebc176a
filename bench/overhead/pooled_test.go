package main

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
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
// combined figures come from: from each, every comparison's all-rounds
// line, as many ratios as the run had rounds, and not the lines of its
// split by load, which repeat rounds.
func TestReadRuns(t *testing.T) {
	files, err := filepath.Glob("runs/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("runs/*.txt: %v, %d files", err, len(files))
	}
	roundsLine := regexp.MustCompile(`(?m)^(\d+) rounds of`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m := roundsLine.FindSubmatch(b)
		if m == nil {
			t.Errorf("%s: no \"N rounds of\" line", f)
			continue
		}
		rounds, _ := strconv.Atoi(string(m[1]))
		runs, order, err := readRuns([]string{f})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		for _, c := range order {
			if len(runs[c]) != 1 || len(runs[c][0]) != rounds {
				t.Errorf("%s: %s read as %d runs (first of %d ratios), want one of %d", f, c, len(runs[c]), len(runs[c][0]), rounds)
			}
		}
	}
}
