// Command overhead measures what a tracing session costs the traced
// service: the example service under a loopback load generator at half its
// saturation rate, without and then with a jstrace session running a remote
// aggregation script over every request. It prints both sides and their
// ratios. Run it with make bench-overhead; -control adds an untraced
// against untraced comparison first, the noise floor of the machine.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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
	duration := flag.Duration("duration", 5*time.Second, "length of each measured run")
	rounds := flag.Int("rounds", 6, "untraced and traced runs, alternated; medians are reported")
	workers := flag.Int("workers", 32, "concurrent connections of the load generator")
	control := flag.Bool("control", false, "first compare untraced runs with untraced runs, to show the machine's own noise")
	flag.DurationVar(&settle, "settle", time.Second, "how long traced runs wait after attaching before measuring")
	profile := flag.String("profile", "", "write CPU profiles of the service during the first untraced and traced runs to this directory")
	script := flag.String("script", "", "the script of the traced runs (default: two remote aggregations of request:end, by a handler and by a native Aggregation)")
	pin := flag.Bool("pin", false, "pin the service to the last CPU with taskset (and run this program elsewhere), so that the load generator does not compete with it")
	flag.Parse()
	if err := run(*bin, *script, *profile, *duration, *rounds, *workers, *pin, *control); err != nil {
		fmt.Fprintln(os.Stderr, "overhead:", err)
		os.Exit(1)
	}
}

func run(bin, script, profile string, duration time.Duration, rounds, workers int, pin, control bool) error {
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
	if cpus := runtime.NumCPU(); pin && cpus > 1 {
		if taskset, err := exec.LookPath("taskset"); err == nil {
			svc = exec.Command(taskset, append([]string{"-c", fmt.Sprint(cpus - 1)}, svc.Args...)...)
			fmt.Printf("service pinned to CPU %d\n", cpus-1)
		}
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
	m := regexp.MustCompile(`(http://[0-9.:]+)`).FindStringSubmatch(line)
	if m == nil {
		return fmt.Errorf("service said %q", line)
	}
	url := m[1] + "/users/7"

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers * 2, MaxConnsPerHost: workers * 2}}
	fmt.Printf("saturating %s with %d connections for %v…\n", url, workers, duration/2)
	max := saturate(client, url, workers, duration/2)
	rate := max / 2
	fmt.Printf("saturation: %.0f req/s; measuring at %.0f req/s (50%%)\n\n", max, rate)

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
		return measure(client, url, rate, duration, 2*workers), nil
	}
	// The control compares untraced runs with untraced runs: the spread of
	// its ratios is what this machine's noise alone does to the figures.
	if control {
		fmt.Printf("%-12s %10s %10s %10s %10s %10s\n", "", "req/s", "p50", "p99", "errors", "CPU")
		if _, _, err := compare("untraced", untraced, "untraced'", untraced, rounds); err != nil {
			return err
		}
		fmt.Println()
	}
	type result struct {
		name       string
		base, with stats
	}
	var results []result
	for _, r := range runs {
		traced := func() (stats, error) {
			return measureTraced(bin, runDir, r.file, func() stats {
				defer profileOnce(filepath.Join(profile, r.name+".pprof"), duration)()
				return measure(client, url, rate, duration, 2*workers)
			})
		}
		fmt.Printf("%-12s %10s %10s %10s %10s %10s\n", "", "req/s", "p50", "p99", "errors", "CPU")
		base, with, err := compare("untraced", untraced, r.name, traced, rounds)
		if err != nil {
			return err
		}
		results = append(results, result{r.name, base, with})
		fmt.Println()
	}
	fmt.Printf("medians of %d rounds of %v at %.0f req/s (half of %.0f), each script against the untraced runs alternated with its own:\n", rounds, duration, rate, max)
	fmt.Printf("%-12s %12s %12s %12s\n", "", "throughput", "p99", "service CPU")
	for _, r := range results {
		fmt.Printf("%-12s %+11.1f%% %+11.1f%% %+8.1f%% of a core\n", r.name, 100*(r.with.rps/r.base.rps-1),
			100*(float64(r.with.p99)/float64(r.base.p99)-1), 100*(r.with.cpu-r.base.cpu))
	}
	fmt.Println("targets: throughput no worse than -5%, p99 no worse than +10%")
	return nil
}

// compare alternates runs of a and b in ABBA order, so that a drift of the
// machine over the whole measurement (other tenants, thermal, caches) falls
// on both sides alike, and prints every run and the median of the per-round
// ratios of p99 latency. It returns the medians of each side.
func compare(aName string, a func() (stats, error), bName string, b func() (stats, error), rounds int) (stats, stats, error) {
	var as, bs []stats
	var ratios []float64
	for i := range rounds {
		first, second := a, b
		if i%2 == 1 {
			first, second = b, a
		}
		x, err := first()
		if err != nil {
			return stats{}, stats{}, err
		}
		y, err := second()
		if err != nil {
			return stats{}, stats{}, err
		}
		if i%2 == 1 {
			x, y = y, x
			y.print(bName)
			x.print(aName)
		} else {
			x.print(aName)
			y.print(bName)
		}
		as, bs = append(as, x), append(bs, y)
		ratios = append(ratios, float64(y.p99)/float64(x.p99)-1)
	}
	slices.Sort(ratios)
	fmt.Printf("p99 %s/%s per round: ", bName, aName)
	for _, r := range ratios {
		fmt.Printf("%+.0f%% ", 100*r)
	}
	fmt.Printf("(median %+.1f%%)\n", 100*ratios[len(ratios)/2])
	return median(as), median(bs), nil
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

// median returns the median of each statistic.
func median(runs []stats) stats {
	pick := func(f func(stats) float64) float64 {
		v := make([]float64, len(runs))
		for i, r := range runs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return stats{
		rps:    pick(func(s stats) float64 { return s.rps }),
		p50:    time.Duration(pick(func(s stats) float64 { return float64(s.p50) })),
		p99:    time.Duration(pick(func(s stats) float64 { return float64(s.p99) })),
		errors: int64(pick(func(s stats) float64 { return float64(s.errors) })),
		cpu:    pick(func(s stats) float64 { return s.cpu }),
	}
}

// saturate runs closed-loop workers for d and returns the request rate.
func saturate(c *http.Client, url string, workers int, d time.Duration) float64 {
	var n atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if get(c, url) == nil {
					n.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / d.Seconds()
}

// stats of an open-loop run.
type stats struct {
	rps      float64
	p50, p99 time.Duration
	errors   int64
	cpu      float64 // the service's CPU seconds per second of the run
}

func (s stats) print(name string) {
	fmt.Printf("%-12s %10.0f %10v %10v %10d %9.1f%%\n", name, s.rps, s.p50.Round(time.Microsecond), s.p99.Round(time.Microsecond), s.errors, 100*s.cpu)
}

// servicePID is the service's pid, for its CPU time.
var servicePID int

// cpuTime returns the service's CPU time (user+system) from /proc.
func cpuTime() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", servicePID))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ is 100
}

// measure sends requests at a fixed rate for d, whatever the responses do
// (open loop, through a pool of workers), and measures each from its
// scheduled time, so that a slow response delays no later measurement (no
// coordinated omission).
func measure(c *http.Client, url string, rate float64, d time.Duration, workers int) stats {
	interval := time.Duration(float64(time.Second) / rate)
	total := int(d / interval)
	lat := make([]time.Duration, total)
	var errs atomic.Int64
	slots := make(chan int, total)
	start := time.Now()
	cpu0 := cpuTime()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range slots {
				due := start.Add(time.Duration(i) * interval)
				if w := time.Until(due); w > 0 {
					time.Sleep(w)
				}
				if err := get(c, url); err != nil {
					errs.Add(1)
				}
				lat[i] = time.Since(due)
			}
		}()
	}
	for i := range total {
		slots <- i
	}
	close(slots)
	wg.Wait()
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	slices.Sort(lat)
	return stats{
		rps:    float64(total-int(errs.Load())) / elapsed.Seconds(),
		p50:    lat[total/2],
		p99:    lat[total*99/100],
		errors: errs.Load(),
		cpu:    cpu.Seconds() / elapsed.Seconds(),
	}
}

func get(c *http.Client, url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

// settle is how long the traced runs wait after attaching (-settle).
var settle time.Duration

// pprofAddr is where the service serves net/http/pprof, with -profile.
var pprofAddr string

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:6060"
	}
	defer ln.Close()
	return ln.Addr().String()
}

// profileOnce starts a CPU profile of the service over most of a run of
// length d, unless -profile is off or file exists, and returns a function
// that waits for it.
func profileOnce(file string, d time.Duration) (wait func()) {
	if pprofAddr == "" || filepath.Dir(file) == "." {
		return func() {}
	}
	if _, err := os.Stat(file); err == nil {
		return func() {}
	}
	os.MkdirAll(filepath.Dir(file), 0o755)
	os.WriteFile(file, nil, 0o644) // claim it
	done := make(chan struct{})
	go func() {
		defer close(done)
		secs := max(1, int(d.Seconds())-1)
		resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", pprofAddr, secs))
		if err != nil {
			fmt.Fprintln(os.Stderr, "profile:", err)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		os.WriteFile(file, b, 0o644)
	}()
	return func() { <-done }
}
