package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"time"
)

// againstBin is the directory of a second build's jstrace and service
// binaries (-against): see compareBuilds.
var againstBin string

// compareBuilds measures what a session costs with one build (against)
// relative to another (bin), where separate runs of the harness cannot:
// the machine's phase moves the traced service's CPU a request by more
// than a run's interval (bench/README.md, "A handler's event without new
// memory"). It starts the example service of each build, attaches each
// script's session to both, each with its own build's CLI, and loads both
// at once (together): each run's ratio is against's CPU a request over
// bin's, within the same seconds.
//
// A service process keeps a speed of its own for its life, up to ±1 %
// here (two byte-identical builds, one pair of processes each way, read
// +1.0 % (+1…+1) apart): the same two processes in both places would
// cancel it, as the harness's own crossover does, but two builds need
// two processes each. So the builds are compared in blocks of perBlock
// runs, each with a fresh pair of processes, their places swapped from
// one block to the next; a block's figure is the median of its runs, and
// the interval is bootstrapped over blocks, the unit that varies.
func compareBuilds(bin, against, dir string, runs []scriptRun, workers, blocks, perBlock int, d time.Duration) error {
	all := make([]spread, len(runs)) // the blocks' medians
	for b := range blocks {
		bins := [2]string{bin, against}
		if b%2 == 1 {
			bins = [2]string{against, bin}
		}
		fmt.Printf("block %d: service a from %s, b from %s, on CPU %d\n", b+1, bins[0], bins[1], serviceCPU)
		for i, r := range runs {
			s, err := buildsTogether(bins, dir, r, workers, perBlock, d)
			if err != nil {
				return err
			}
			if len(s) == 0 {
				continue
			}
			for j := range s {
				if b%2 == 1 { // b/a was bin over against
					s[j] = crossed(s[j])
				}
			}
			slices.Sort(s)
			all[i] = append(all[i], s.quantile(0.5))
		}
	}
	fmt.Printf("\nCPU a request of %s's traced service against %s's, both under the script's session, loaded together, %v runs; %d blocks of %d runs, each block a fresh pair of processes, their places swapped block to block (median of the blocks' medians, 90%% confidence interval, bootstrap over blocks):\n", against, bin, d, blocks, perBlock)
	for i, r := range runs {
		s := all[i]
		slices.Sort(s)
		lo, hi := s.medianInterval()
		fmt.Printf("%-14s %24s  (%d blocks)\n", r.name, medianString(s, lo, hi), len(s))
	}
	return nil
}

// buildsTogether starts the services of bins, a and b, attaches r's
// session to both, and returns n runs of togetherRuns: b's CPU a request
// against a's, minus one.
func buildsTogether(bins [2]string, dir string, r scriptRun, workers, n int, d time.Duration) (spread, error) {
	runDir := filepath.Join(dir, "run")
	var svcs [2]*service
	for i, title := range []string{"overhead-a", "overhead-b"} {
		svc, err := startService(bins[i], runDir, title, false, nil)
		if err != nil {
			return nil, err
		}
		defer svc.stop()
		svcs[i] = svc
	}
	var s spread
	var inner error
	err := underSession(bins[0], runDir, r.file, r.name, svcs[0], func() {
		inner = underSession(bins[1], runDir, r.file, r.name, svcs[1], func() {
			s = togetherRuns(svcs[0], svcs[1], "a", r.name+" b", "/users/7", workers, n, d)
		})
	})
	return s, errors.Join(err, inner)
}

// crossed turns a ratio b/a − 1 into a/b − 1.
func crossed(x float64) float64 { return 1/(1+x) - 1 }
