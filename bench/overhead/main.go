// Command overhead measures what a tracing session costs the traced
// service: the example service under a loopback load generator at half its
// saturation rate, without and then with a jstrace session running a remote
// aggregation script over every request. It prints both sides and their
// ratios. Run it with make bench-overhead.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
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

// aggregation is the script of the traced run: every request:end goes
// through a remote handler, which reduces them to one summary a second.
const aggregation = `package main

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
`

func main() {
	bin := flag.String("bin", "bin", "directory of the jstrace and service binaries")
	duration := flag.Duration("duration", 5*time.Second, "length of each measured run")
	rounds := flag.Int("rounds", 5, "untraced and traced runs, alternated; medians are reported")
	workers := flag.Int("workers", 32, "concurrent connections of the load generator")
	pin := flag.Bool("pin", false, "pin the service to the last CPU with taskset (and run this program elsewhere), so that the load generator does not compete with it")
	flag.Parse()
	if err := run(*bin, *duration, *rounds, *workers, *pin); err != nil {
		fmt.Fprintln(os.Stderr, "overhead:", err)
		os.Exit(1)
	}
}

func run(bin string, duration time.Duration, rounds, workers int, pin bool) error {
	dir, err := os.MkdirTemp("", "jstrace-overhead-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	runDir := filepath.Join(dir, "run")

	svc := exec.Command(filepath.Join(bin, "service"), "-load", "0", "-max-delay", "0")
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

	script := filepath.Join(dir, "aggregation.go")
	if err := os.WriteFile(script, []byte(aggregation), 0o600); err != nil {
		return err
	}
	fmt.Printf("%-12s %10s %10s %10s %10s %10s\n", "", "req/s", "p50", "p99", "errors", "CPU")
	var bases, traceds []stats
	for range rounds {
		base := measure(client, url, rate, duration, 2*workers)
		base.print("untraced")
		traced, err := measureTraced(bin, runDir, script, func() stats { return measure(client, url, rate, duration, 2*workers) })
		if err != nil {
			return err
		}
		traced.print("traced")
		bases, traceds = append(bases, base), append(traceds, traced)
	}
	base, traced := median(bases), median(traceds)
	fmt.Printf("\nmedians of %d rounds of %v at %.0f req/s (half of %.0f):\n", rounds, duration, rate, max)
	base.print("untraced")
	traced.print("traced")
	fmt.Printf("\nthroughput: %+.1f%% (target: no worse than -5%%)\n", 100*(traced.rps/base.rps-1))
	fmt.Printf("p99 latency: %+.1f%% (target: no worse than +10%%)\n", 100*(float64(traced.p99)/float64(base.p99)-1))
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
