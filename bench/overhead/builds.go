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
// at once, n runs of d (together): each run's ratio is against's CPU a
// request over bin's, within the same seconds. Half the runs are made
// with the builds' services in each other's places (crossover), so that
// what differs between the two places falls on both builds alike.
func compareBuilds(bin, against, dir string, runs []scriptRun, workers, n int, d time.Duration) error {
	all := make([]spread, len(runs))
	for half, bins := range [][2]string{{bin, against}, {against, bin}} {
		fmt.Printf("half %d: service a from %s, b from %s, on CPU %d\n", half+1, bins[0], bins[1], serviceCPU)
		for i, r := range runs {
			s, err := buildsTogether(bins, dir, r, workers, n/2, d)
			if err != nil {
				return err
			}
			for _, x := range s {
				if half == 1 { // b/a was bin over against
					x = crossed(x)
				}
				all[i] = append(all[i], x)
			}
		}
	}
	fmt.Printf("\nCPU a request of %s's traced service against %s's, both under the script's session, loaded together, %v runs, half of them crossed over (median of the per-run ratios, 90%% confidence interval, bootstrap over runs):\n", against, bin, d)
	for i, r := range runs {
		s := all[i]
		slices.Sort(s)
		lo, hi := s.medianInterval()
		fmt.Printf("%-14s %24s  (%d runs)\n", r.name, medianString(s, lo, hi), len(s))
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
