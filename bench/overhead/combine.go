package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strconv"
)

// perRound matches the line that summarize prints for the per-round p99
// ratios of a comparison: "p99 b/a per round: -3% +1% … (median …)".
var perRound = regexp.MustCompile(`^p99 (\S+/\S+) per round: (.*)\(median`)

// combine reads the outputs of earlier runs of this program and prints, for
// each comparison found in them (control b/a, then each script against
// untraced), the median of all their per-round p99 ratios with a 90%
// confidence interval from a two-level bootstrap: runs resampled, then
// rounds within each, so that what differs from run to run (the machine's
// minute, the calibration) widens the interval as it should. Ratios are
// read as printed, to 1%. Only the all-rounds line of each comparison
// counts, not its split by load.
func combine(files []string) error {
	runs, order, err := readRuns(files)
	if err != nil {
		return err
	}
	for _, k := range order {
		var all spread
		var medians []string
		for _, r := range runs[k] {
			all = append(all, r...)
			s := slices.Clone(spread(r))
			slices.Sort(s)
			medians = append(medians, fmt.Sprintf("%+.1f%%", 100*s.quantile(0.5)))
		}
		slices.Sort(all)
		lo, hi := twoLevel(runs[k])
		fmt.Printf("p99 %s: %d runs, %d rounds, median %s; the runs' medians %v\n", k, len(runs[k]), len(all), pooledString(all.quantile(0.5), lo, hi), medians)
	}
	return nil
}

// readRuns returns the per-round p99 ratios of each comparison in files,
// run by run, and the comparisons in the order first seen.
func readRuns(files []string) (runs map[string][][]float64, order []string, err error) {
	runs = map[string][][]float64{}
	splitLine := regexp.MustCompile(`^\d+ rounds at load, \d+ slower:`)
	percent := regexp.MustCompile(`[-+]?\d+(\.\d+)?%`)
	for _, f := range files {
		file, err := os.Open(f)
		if err != nil {
			return nil, nil, err
		}
		split := false // inside byLoad's split, whose lines repeat rounds
		sc := bufio.NewScanner(file)
		for sc.Scan() {
			line := sc.Text()
			if splitLine.MatchString(line) {
				split = true
			}
			if line == "" {
				split = false
			}
			m := perRound.FindStringSubmatch(line)
			if m == nil || split {
				continue
			}
			var ratios []float64
			for _, r := range percent.FindAllString(m[2], -1) {
				v, _ := strconv.ParseFloat(r[:len(r)-1], 64)
				ratios = append(ratios, v/100)
			}
			if _, ok := runs[m[1]]; !ok {
				order = append(order, m[1])
			}
			runs[m[1]] = append(runs[m[1]], ratios)
		}
		file.Close()
		if err := sc.Err(); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", f, err)
		}
	}
	if len(order) == 0 {
		return nil, nil, fmt.Errorf("no per-round p99 ratios in %v", files)
	}
	return runs, order, nil
}

// twoLevel returns a 90% confidence interval of the median of all the
// runs' ratios, resampling runs and then rounds within each.
func twoLevel(runs [][]float64) (lo, hi float64) {
	rng := rand.New(rand.NewPCG(5, 6))
	boot := make(spread, 2000)
	for k := range boot {
		var re spread
		for range runs {
			r := runs[rng.IntN(len(runs))]
			for range r {
				re = append(re, r[rng.IntN(len(r))])
			}
		}
		slices.Sort(re)
		boot[k] = re.quantile(0.5)
	}
	slices.Sort(boot)
	return boot.quantile(0.05), boot.quantile(0.95)
}
