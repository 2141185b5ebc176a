package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// togetherRounds is how many runs per half of a script's measurement load
// both services at once (-together-rounds).
var togetherRounds int

// together loads both services at once for d, closed loop, and returns
// the CPU time each spent per request it served (in seconds); ok is false
// if either side served nothing, failed a request or used no CPU (a
// service gone, /proc unreadable): the run measures nothing. With the
// harness's pinning (-pin) the two share one core: the machine's changes
// of speed, which make two runs a few seconds apart differ by several
// percent, fall on both alike, and what they cost a request is compared
// within the same seconds. Both are saturated, so the comparison is of
// the same thing as the closed-loop runs', CPU a request, in the harder
// case of two processes' caches taking turns on a core. busy is the two
// services' CPU time per second of the run together: near 1 if they, not
// the load generator, were the limit.
//
// Each of the workers holds a connection to each service and sends its
// requests to them in turn, so that both serve the same number of
// requests at the same pace. Loaded each by its own workers, the two
// shared the core unevenly, by 2:1 now and then, and a service's CPU a
// request grows with its share (more of its requests find it awake with
// others queued behind them, fewer are batched): that swung single runs by
// ±7 %, more than what was measured (bench/README.md, "Both services
// loaded in step"). steal is the share of the run the hypervisor kept
// the services' CPU from running (stealShare), −1 if unknown.
func together(a, b *service, path string, workers int, d time.Duration) (ca, cb, busy, steal float64, ok bool) {
	n := max(1, workers)
	ea, eb := a.connect(n, path), b.connect(n, path)
	a0, b0 := threadsCPU(a.pid()), threadsCPU(b.pid())
	s0 := stealOf(serviceCPU)
	var na, nb, errs atomic.Int64
	start := time.Now()
	deadline := start.Add(d)
	count := func(c *client, served *atomic.Int64) {
		if c.get() == nil {
			served.Add(1)
		} else {
			errs.Add(1)
		}
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				count(ea[i], &na)
				count(eb[i], &nb)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	steal = stealShare(serviceCPU, s0, elapsed)
	da, db := threadsCPU(a.pid())-a0, threadsCPU(b.pid())-b0
	if na.Load() == 0 || nb.Load() == 0 || errs.Load() != 0 || da <= 0 || db <= 0 {
		return 0, 0, 0, steal, false
	}
	return da.Seconds() / float64(na.Load()), db.Seconds() / float64(nb.Load()), (da + db).Seconds() / elapsed.Seconds(), steal, true
}

// togetherRuns runs n rounds of together, u (named uName: untraced) and t
// (tName: traced), prints them, and returns t's CPU a request against u's,
// minus one, per run that measured something.
func togetherRuns(u, t *service, uName, tName, path string, workers, n int, d time.Duration) spread {
	if serviceCPU < 0 {
		fmt.Println("(no runs loading both services at once: without -pin they do not share a core)")
		return nil
	}
	var s spread
	for range n {
		cu, ct, busy, steal, ok := together(u, t, path, workers, d)
		if !ok {
			fmt.Printf("%-12s a run that measured nothing (a service served nothing, failed, or its CPU time could not be read): left out\n", tName+" together")
			continue
		}
		fmt.Printf("%-12s %10s %10s %10s %10s %9.1f%%  %.2fµs a request; %s %.2fµs: %+.1f%%%s\n", tName+" together", "-", "-", "-", "-", 100*busy, 1e6*ct, uName, 1e6*cu, 100*(ct/cu-1), stealString(steal))
		s = append(s, ct/cu-1)
	}
	return s
}

// setTogether fills c's loaded-together figures.
func (c *comparison) setTogether(s spread) {
	c.tog = slices.Clone(s)
	slices.Sort(c.tog)
	c.togLo, c.togHi = c.tog.medianInterval()
}

// togetherString formats the loaded-together figures, or "-".
func (c comparison) togetherString() string { return medianString(c.tog, c.togLo, c.togHi) }

// threadsCPU returns the CPU time process pid's threads have run, from
// /proc/<pid>/task/*/schedstat (nanoseconds; /proc/<pid>/stat counts in
// hundredths of a second, a percent of a 1-s run). Threads that ended are
// not counted: the services' runtimes keep theirs.
func threadsCPU(pid int) time.Duration {
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var ns int64
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var run int64
		if _, err := fmt.Sscan(strings.TrimSpace(string(b)), &run); err == nil {
			ns += run
		}
	}
	return time.Duration(ns)
}
