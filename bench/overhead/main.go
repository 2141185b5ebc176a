// Command overhead measures what a tracing session costs the traced
// service: the example service under a loopback load generator at half its
// saturation rate, without and then with a jstrace session running a remote
// aggregation script over every request. It prints every run, both sides
// and their per-round differences. Run it with make bench-overhead.
//
// The service gets a core of its own (the last; -pin=false shares them
// all), this program and the jstrace CLI the others, and its saturation is
// the rate at which that core would be busy all the time. Untraced and
// traced runs alternate (ABBA), and each round's traced p99 is compared with
// its neighbour's: on a shared machine slow drifts dwarf the difference.
// -control first compares untraced runs with untraced runs, the noise floor
// of the machine.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
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
	rounds := flag.Int("rounds", 10, "untraced and traced runs, alternated; medians are reported")
	workers := flag.Int("workers", 32, "concurrent connections of the load generator")
	control := flag.Bool("control", false, "first compare untraced runs with untraced runs, to show the machine's own noise")
	flag.Float64Var(&load, "load", 0.5, "the measured rate as a fraction of the saturation rate")
	flag.DurationVar(&settle, "settle", time.Second, "how long traced runs wait after attaching before measuring")
	profile := flag.String("profile", "", "write CPU profiles of the service during the first untraced and traced runs to this directory")
	script := flag.String("script", "", "the script of the traced runs (default: two remote aggregations of request:end, by a handler and by a native Aggregation)")
	pin := flag.Bool("pin", true, "pin the service to the last CPU with taskset and this program (the load generator) and jstrace to the others, so that they do not compete with it")
	flag.Parse()
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
	runDir := filepath.Join(dir, "run")

	svc := exec.Command(filepath.Join(bin, "service"), "-load", "0", "-max-delay", "0")
	if profile != "" {
		pprofAddr = freeAddr()
		svc.Args = append(svc.Args, "-pprof", pprofAddr)
	}
	if cpu := serviceCPU; cpu >= 0 {
		svc = pinned(svc, cpu)
		fmt.Printf("service pinned to CPU %d, this program and jstrace to the others (GOMAXPROCS %d)\n", cpu, runtime.GOMAXPROCS(0))
	}
	svc.Env = append(os.Environ(), "JSTRACE_RUN_DIR="+runDir, "JSTRACE_TITLE=overhead")
	out, err := svc.StdoutPipe()
	if err != nil {
		return err
	}
	svc.Stderr = io.Discard
	if err := svc.Start(); err != nil {
		return err
	}
	servicePID = svc.Process.Pid
	defer func() { svc.Process.Kill(); svc.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return fmt.Errorf("service: %w", err)
	}
	m := regexp.MustCompile(`http://([0-9.:]+)`).FindStringSubmatch(line)
	if m == nil {
		return fmt.Errorf("service said %q", line)
	}
	addr, path := m[1], "/users/7"
	fmt.Printf("saturating http://%s%s with %d connections for %v…\n", addr, path, workers, duration/2)
	max := saturate(addr, path, workers, duration/2)
	fmt.Printf("closed-loop saturation: %.0f req/s\n", max)
	if serviceCPU >= 0 {
		// Closed loop, the service handles requests in batches (one
		// wake-up reads many): one at a time, as the open-loop runs send
		// them, each costs it more. On its own core it saturates where
		// that core would be busy all the time.
		s := measure(addr, path, max/2, duration/2, 2*workers)
		if full := s.rps / s.cpu; full < max {
			max = full
			fmt.Printf("open loop at %.0f req/s the service keeps %.0f%% of its core busy: it saturates at %.0f req/s\n", s.rps, 100*s.cpu, max)
		}
	}
	rate := max * load
	fmt.Printf("measuring at %.0f req/s (%.0f%% of saturation)\n\n", rate, 100*load)

	type run struct{ name, file string }
	var runs []run
	if script != "" {
		runs = append(runs, run{"traced", script})
	} else {
		for _, sc := range scripts {
			file := filepath.Join(dir, sc.name+".go")
			if err := os.WriteFile(file, []byte(sc.src), 0o600); err != nil {
				return err
			}
			runs = append(runs, run{sc.name, file})
		}
	}
	untraced := func() (stats, error) {
		defer profileOnce(filepath.Join(profile, "untraced.pprof"), duration)()
		return measure(addr, path, rate, duration, 2*workers), nil
	}
	// The control compares untraced runs with untraced runs: the spread of
	// its ratios is what this machine's noise alone does to the figures.
	var results []comparison
	if control {
		fmt.Printf("%-12s %10s %10s %10s %10s %10s %10s\n", "", "req/s", "p50", "p99", "errors", "CPU", "generator")
		c, err := compare("untraced", untraced, "untraced'", untraced, rounds)
		if err != nil {
			return err
		}
		c.name = "control"
		results = append(results, c)
		fmt.Println()
	}
	for _, r := range runs {
		traced := func() (stats, error) {
			return measureTraced(bin, runDir, r.file, func() stats {
				defer profileOnce(filepath.Join(profile, r.name+".pprof"), duration)()
				return measure(addr, path, rate, duration, 2*workers)
			})
		}
		fmt.Printf("%-12s %10s %10s %10s %10s %10s %10s\n", "", "req/s", "p50", "p99", "errors", "CPU", "generator")
		c, err := compare("untraced", untraced, r.name, traced, rounds)
		if err != nil {
			return err
		}
		results = append(results, c)
		fmt.Println()
	}
	fmt.Printf("%d rounds of %v at %.0f req/s (%.0f%% of %.0f), each script against the untraced runs alternated with its own;\n", rounds, duration, rate, 100*load, max)
	fmt.Printf("p99 pooled: of every request of a side against every request of the other (90%% confidence interval, bootstrap over rounds);\n")
	fmt.Printf("per round: median of the per-round differences (interquartile range), as are throughput and service CPU:\n")
	fmt.Printf("%-10s %11s %24s %24s %30s\n", "", "throughput", "p99 pooled", "p99 per round", "service CPU")
	for _, c := range results {
		fmt.Printf("%-10s %+10.1f%% %24s %24s %30s\n", c.name, 100*c.throughput(), pooledString(c.pooled, c.pooledLo, c.pooledHi),
			c.p99.String(100, "%"), c.cpu.String(100, "% of a core"))
	}
	fmt.Println("targets: throughput no worse than -5%, p99 no worse than +10%")
	return nil
}

// measureTraced runs measure while a jstrace session runs the aggregation
// script in the service.
func measureTraced(bin, runDir, script string, measure func() stats) (stats, error) {
	trace := exec.Command(filepath.Join(bin, "jstrace"), "-t", "overhead", "-v", script)
	trace.Env = append(os.Environ(), "JSTRACE_RUN_DIR="+runDir)
	stderr, _ := trace.StderrPipe()
	if err := trace.Start(); err != nil {
		return stats{}, err
	}
	defer func() {
		trace.Process.Signal(os.Interrupt)
		trace.Wait()
	}()
	attached := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			if strings.Contains(sc.Text(), "attached to") {
				once.Do(func() { close(attached) })
			}
		}
	}()
	select {
	case <-attached:
	case <-time.After(10 * time.Second):
		return stats{}, fmt.Errorf("jstrace did not attach")
	}
	// Attaching costs a burst (the CLI starts, both sides compile the
	// script, the service collects the garbage of that): the attach
	// benchmarks measure it. This measures the steady state.
	time.Sleep(settle)
	return measure(), nil
}

// serviceCPU is the CPU the service is pinned to with -pin, or -1.
var serviceCPU = -1

// load is the measured rate as a fraction of saturation (-load).
var load float64

// settle is how long the traced runs wait after attaching (-settle).
var settle time.Duration
