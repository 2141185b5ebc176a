// Command overhead measures what a tracing session costs the traced
// service: the example service under a loopback load generator at half its
// saturation rate, without and with a jstrace session running a remote
// aggregation script over every request. It prints every run, both sides
// and their per-round differences. Run it with make bench-overhead.
//
// Two identical services share a core (the last; -pin=false shares them
// all), this program and the jstrace CLI get the others, and saturation is
// the rate at which that core would be busy all the time. A session stays
// attached to one service for half the rounds and to the other for the
// rest (crossover); in every round the load goes to the untraced service
// and to the traced one in turn (ABBA), and each traced run's p99 is
// compared with its neighbour's: on a shared machine slow drifts dwarf the
// difference, and attaching is left out of the steady state measured.
// -control first compares the two services with neither traced, the noise
// floor of the machine.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// The scripts of the traced runs reduce every request:end to a summary a
// second, sent to Local: handler with an interpreted handler per request
// (the most a script can cost per event), aggregate with a native
// Aggregation (the cheap way to do the same, and more).
var scripts = []struct{ name, src string }{
	{"handler", `package main

import (
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	n, errors := 0, 0
	var total time.Duration
	traces.On("request:end", func(t *script.Trace) {
		n++
		total += t.Dur("duration")
		if t.Int("status") >= 500 {
			errors++
		}
	})
	traces.Every(time.Second, func() {
		traces.Emit("summary", "n", n, "errors", errors, "total", total)
		n, errors, total = 0, 0, 0
	})
}

func Local(traces *script.Traces) {
	traces.On("summary", func(t *script.Trace) {})
}
`},
	{"aggregate", `package main

import (
	"strconv"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	reqs := traces.Aggregate("request:end", script.Agg{By: "status", Of: "duration"})
	traces.Every(time.Second, func() {
		n, errors := 0, 0
		var total float64
		for _, g := range reqs.Take() {
			n += g.Count
			total += g.Sum
			if status, _ := strconv.Atoi(g.Key); status >= 500 {
				errors += g.Count
			}
		}
		traces.Emit("summary", "n", n, "errors", errors, "total", time.Duration(total))
	})
}

func Local(traces *script.Traces) {
	traces.On("summary", func(t *script.Trace) {})
}
`},
}

func main() {
	bin := flag.String("bin", "bin", "directory of the jstrace and service binaries")
	duration := flag.Duration("duration", 4*time.Second, "length of each measured run")
	rounds := flag.Int("rounds", 10, "pairs of untraced and traced runs, alternated; medians are reported")
	workers := flag.Int("workers", 32, "concurrent connections of the load generator")
	control := flag.Bool("control", false, "first compare untraced runs with untraced runs, to show the machine's own noise")
	flag.Float64Var(&load, "load", 0.5, "the measured rate as a fraction of the saturation rate")
	flag.DurationVar(&settle, "settle", 2*time.Second, "how long to wait after attaching a session before measuring")
	profile := flag.String("profile", "", "write CPU profiles of the services during their first untraced and traced runs, at load and saturated (<name>-max.pprof), to this directory (files already there are kept)")
	script := flag.String("script", "aggregate", "the scripts of the traced runs, comma-separated: aggregate (a native Aggregation of every request:end), handler (an interpreted handler for every request:end) or a file")
	flag.StringVar(&flight, "flight", "", "compare only a service running a flight recorder (JSTRACE_FLIGHT, e.g. 8MiB:request:*), and no session, with one without: what recording costs the host")
	flag.StringVar(&enable, "enable", "", "compare only a service with the probe of this name enabled by a subscription that does nothing, and no session, with one without: what firing it alone costs")
	pin := flag.Bool("pin", true, "pin the services to the last CPU with taskset and this program (the load generator) and jstrace to the others, so that they do not compete with them")
	flag.IntVar(&togetherRounds, "together-rounds", 6, "runs per half of a script's measurement (twice that in the control) that load both services at once, saturated, and compare the CPU each spends a request")
	flag.IntVar(&satRounds, "saturation-rounds", 4, "closed-loop runs of each side, alternated, per half of a script's measurement (twice that in the control), that compare saturation throughput")
	flag.StringVar(&againstBin, "against", "", "measure nothing else: compare the build in this directory (its jstrace and service) with -bin's, both services traced by each script at once, loaded together: -together-rounds blocks of 2 runs, each block a fresh pair of processes")
	combineRuns := flag.Bool("combine", false, "measure nothing: combine the per-round p99 ratios of the earlier outputs of this program named as arguments")
	flag.Parse()
	if *combineRuns {
		if err := combine(flag.Args()); err != nil {
			fmt.Fprintln(os.Stderr, "overhead:", err)
			os.Exit(1)
		}
		return
	}
	if *pin {
		serviceCPU = pinSelf()
	}
	if err := run(*bin, *script, *profile, *duration, *rounds, *workers, *control); err != nil {
		fmt.Fprintln(os.Stderr, "overhead:", err)
		os.Exit(1)
	}
}

func run(bin, script, profile string, duration time.Duration, rounds, workers int, control bool) error {
	dir, err := os.MkdirTemp("", "jstrace-overhead-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if againstBin != "" {
		runs, err := scriptRuns(script, dir)
		if err != nil {
			return err
		}
		return compareBuilds(bin, againstBin, dir, runs, workers, togetherRounds, 2, duration/2)
	}
	runDir := filepath.Join(dir, "run")

	// Two identical services: in every round one of them is traced and
	// the other not, and the load alternates between them.
	var svcs [2]*service
	for i, title := range []string{"overhead-a", "overhead-b"} {
		var args, env []string
		if i == 1 && enable != "" {
			args = []string{"-enable", enable}
		}
		if i == 1 && flight != "" {
			env = []string{"JSTRACE_FLIGHT=" + flight}
		}
		if svcs[i], err = startService(bin, runDir, title, profile != "", env, args...); err != nil {
			return err
		}
		defer svcs[i].stop()
	}
	if serviceCPU >= 0 {
		fmt.Printf("services pinned to CPU %d, this program and jstrace to the others (GOMAXPROCS %d)\n", serviceCPU, runtime.GOMAXPROCS(0))
	}
	path := "/users/7"
	fmt.Printf("saturating http://%s%s with %d connections for %v…\n", svcs[0].addr, path, workers, duration/2)
	s0, t0 := stealOf(serviceCPU), time.Now()
	max := saturated(svcs[0], path, workers, duration/2).rps
	fmt.Printf("closed-loop saturation: %.0f req/s%s\n", max, stealString(stealShare(serviceCPU, s0, time.Since(t0))))
	if serviceCPU >= 0 {
		// Closed loop, the service handles requests in batches (one
		// wake-up reads many): one at a time, as the open-loop runs send
		// them, each costs it more. On its own core it saturates where
		// that core would be busy all the time.
		s := measure(svcs[0], path, max/2, duration/2, 2*workers)
		if full := s.rps / s.cpu; full < max {
			max = full
			fmt.Printf("open loop at %.0f req/s the service keeps %.0f%% of its core busy: it saturates at %.0f req/s\n", s.rps, 100*s.cpu, max)
		}
	}
	rate := max * load
	fmt.Printf("measuring at %.0f req/s (%.0f%% of saturation)\n\n", rate, 100*load)
	// measurer returns a run against svc, and its first, with -profile,
	// writes a CPU profile to file (if not "").
	measurer := func(svc *service, file string) func() stats {
		return func() stats {
			if profile != "" && file != "" {
				defer profileOnce(svc, filepath.Join(profile, file), duration)()
			}
			return measure(svc, path, rate, duration, 2*workers)
		}
	}

	runs, err := scriptRuns(script, dir)
	if err != nil {
		return err
	}
	header := func() {
		fmt.Printf("%-12s %10s %10s %10s %10s %10s %10s\n", "", "req/s", "p50", "p99", "errors", "CPU", "generator")
	}
	// The control compares the two services with neither traced: the
	// spread of its ratios is what this machine's noise alone does to the
	// figures (and any difference between the two processes). With
	// -enable it is all there is, and measures the enabled probe.
	var results []comparison
	name, bName := "control", "b"
	if enable != "" {
		control, runs, name, bName = true, nil, "enabled", "b+"+enable
	}
	if flight != "" {
		control, runs, name, bName = true, nil, "flight", "b+flight"
	}
	// saturater returns a closed-loop run against svc, and its first, with
	// -profile, writes a CPU profile to file (if not "").
	saturater := func(svc *service, file string) func() stats {
		return func() stats {
			if profile != "" && file != "" {
				defer profileOnce(svc, filepath.Join(profile, file), duration/2)()
			}
			return saturated(svc, path, workers, duration/2)
		}
	}
	if control {
		header()
		as, bs := alternate("a", measurer(svcs[0], "untraced.pprof"), bName, measurer(svcs[1], ""), 0, rounds)
		satA, satB := alternate("a max", saturater(svcs[0], "untraced-max.pprof"), bName+" max", saturater(svcs[1], ""), 0, 2*satRounds)
		tog := togetherRuns(svcs[0], svcs[1], "a", bName, path, workers, 2*togetherRounds, duration/2)
		cs := byLoad(name, "a", bName, as, bs)
		cs[0].setSaturation(satA, satB)
		cs[0].setTogether(tog)
		results = append(results, cs...)
		fmt.Println()
	}
	for _, r := range runs {
		// Crossover: the session stays attached to one service for half
		// the rounds, then to the other, so that neither attaching nor any
		// difference between the processes falls on one side.
		header()
		var as, bs, satA, satB []stats
		var tog spread
		for half, traced := range []int{1, 0} {
			u, t := svcs[1-traced], svcs[traced]
			err := underSession(bin, runDir, r.file, r.name, t, func() {
				a, b := alternate("untraced", measurer(u, "untraced.pprof"), r.name, measurer(t, r.name+".pprof"),
					half*(rounds/2), rounds/2+half*(rounds%2))
				as, bs = append(as, a...), append(bs, b...)
				a, b = alternate("untraced max", saturater(u, "untraced-max.pprof"), r.name+" max", saturater(t, r.name+"-max.pprof"), half*satRounds, satRounds)
				satA, satB = append(satA, a...), append(satB, b...)
				tog = append(tog, togetherRuns(u, t, "untraced", r.name, path, workers, togetherRounds, duration/2)...)
			})
			if err != nil {
				return err
			}
		}
		cs := byLoad(r.name, "untraced", r.name, as, bs)
		cs[0].setSaturation(satA, satB)
		cs[0].setTogether(tog)
		results = append(results, cs...)
		fmt.Println()
	}
	fmt.Printf("%d rounds of %v at %.0f req/s (%.0f%% of %.0f), each against an untraced run of the same length next to it;\n", rounds, duration, rate, 100*load, max)
	fmt.Printf("max throughput: closed loop, %d connections, %v runs alternated; median of the per-round ratios (90%% confidence interval, bootstrap over rounds);\n", workers, duration/2)
	fmt.Printf("p99 per round: median of the per-round ratios (90%% confidence interval, bootstrap over rounds); service CPU likewise (interquartile range);\n")
	fmt.Printf("p99 pooled: of every request of a side against every request of the other (90%% confidence interval, bootstrap over rounds):\n")
	fmt.Printf("CPU a request, loaded together: both services saturated at once on their core, %d workers each sending to both in turn, %v runs; median of the per-run ratios (90%% confidence interval, bootstrap over runs);\n", workers, duration/2)
	fmt.Printf("%-14s %22s %24s %24s %24s %30s\n", "", "max throughput", "CPU a request together", "p99 per round", "p99 pooled", "service CPU")
	for _, c := range results {
		fmt.Printf("%-14s %22s %24s %24s %24s %30s\n", c.name, c.saturation(), c.togetherString(), pooledString(c.p99.quantile(0.5), c.p99Lo, c.p99Hi),
			pooledString(c.pooled, c.pooledLo, c.pooledHi), c.cpu.String(100, "% of a core"))
	}
	fmt.Printf("at load: the rounds whose two runs kept the service's core at most %.0f%% busy on average, as at calibration;\n", 100*load*slack)
	fmt.Printf("slower: the others, in which the machine ran slower (at most %.0f%% of its speed at calibration): the load on the service was higher\n", 100/slack)
	fmt.Println("targets: throughput no worse than -5% (the open-loop runs above keep up with the offered rate unless they report errors), p99 no worse than +10%")
	return nil
}

// A scriptRun is one script of -script: its name, and its file.
type scriptRun struct{ name, file string }

// scriptRuns returns the scripts of -script, the harness's own written
// into dir.
func scriptRuns(script, dir string) ([]scriptRun, error) {
	var runs []scriptRun
	for _, name := range strings.Split(script, ",") {
		if name == "" {
			continue
		}
		r := scriptRun{strings.TrimSuffix(filepath.Base(name), ".go"), name}
		for _, sc := range scripts {
			if sc.name == name {
				r = scriptRun{name, filepath.Join(dir, name+".go")}
				if err := os.WriteFile(r.file, []byte(sc.src), 0o600); err != nil {
					return nil, err
				}
			}
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// underSession attaches a session running script to the service traced,
// runs measure, and reports an error if the session did not last it.
func underSession(bin, runDir, script, name string, traced *service, measure func()) error {
	sess, err := attach(bin, runDir, traced.title, script)
	if err != nil {
		return err
	}
	defer sess.close()
	measure()
	if err := sess.alive(); err != nil {
		return fmt.Errorf("%s: the session ended during the measurement: %w", name, err)
	}
	return nil
}

// slack is how much busier than at calibration the services may be in a
// round (the mean of its two runs) for that round to count as at the load
// measured: this VM's
// speed swings (the same requests cost the service twice the CPU time in
// some minutes), and a slower machine is a higher load on the service,
// which amplifies every cost in p99.
const slack = 1.2

// minGroup is the fewest rounds byLoad reports a group of.
const minGroup = 5

// byLoad summarizes the paired runs as and bs over all rounds, then over
// the rounds at the load measured and over the others (see slack), if they
// are not all one or the other.
func byLoad(name, aName, bName string, as, bs []stats) []comparison {
	all := summarize(name, aName, bName, as, bs)
	var inA, inB, outA, outB []stats
	for i, a := range as {
		// Both runs of a round, not the untraced one alone: a run that
		// happened to be fast has both a low CPU and a low p99, and
		// sorting by it would sort by the noise of the ratio's
		// denominator.
		if (a.cpu+bs[i].cpu)/2 <= load*slack {
			inA, inB = append(inA, a), append(inB, bs[i])
		} else {
			outA, outB = append(outA, a), append(outB, bs[i])
		}
	}
	if len(inA) < minGroup || len(outA) < minGroup {
		return []comparison{all}
	}
	fmt.Printf("%d rounds at load, %d slower:\n", len(inA), len(outA))
	in := summarize(fmt.Sprintf("  at load %d", len(inA)), aName, bName, inA, inB)
	out := summarize(fmt.Sprintf("  slower %d", len(outA)), aName, bName, outA, outB)
	return []comparison{all, in, out}
}

// serviceCPU is the CPU the services are pinned to with -pin, or -1.
var serviceCPU = -1

// load is the measured rate as a fraction of saturation (-load).
var load float64

// satRounds is how many closed-loop runs compare saturation throughput
// (-saturation-rounds).
var satRounds int

// enable is the probe the control's second service fires with no session
// (-enable).
var enable string

// flight is the JSTRACE_FLIGHT of the control's second service (-flight).
var flight string

// settle is how long to wait after attaching a session (-settle).
var settle time.Duration
