package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// saturated runs svc's clients closed loop for d: its throughput, and the
// service's CPU time per second meanwhile (near a whole core if the service,
// not the load generator, is what limits it).
func saturated(svc *service, path string, workers int, d time.Duration) stats {
	var n atomic.Int64
	clients := svc.connect(workers, path)
	cpu0 := cpuTime(svc.pid())
	start := time.Now()
	deadline := start.Add(d)
	withClients(clients, func(c *client) {
		for time.Now().Before(deadline) {
			if c.get() == nil {
				n.Add(1)
			}
		}
	})
	elapsed := time.Since(start)
	return stats{rps: float64(n.Load()) / elapsed.Seconds(), cpu: (cpuTime(svc.pid()) - cpu0).Seconds() / elapsed.Seconds()}
}

// withClients runs fn on a goroutine for each client and waits for them.
func withClients(clients []*client, fn func(c *client)) {
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(c)
		}()
	}
	wg.Wait()
}

// stats of an open-loop run.
type stats struct {
	rps      float64
	p50, p99 time.Duration
	errors   int64
	cpu      float64 // the service's CPU seconds per second of the run
	genCPU   float64 // this program's (the load generator's)
	hist     latHist // every request's latency, for pooling runs
}

func (s stats) print(name string) {
	if s.hist == nil { // a closed-loop run: throughput and CPU only
		fmt.Printf("%-12s %10.0f %10s %10s %10s %9.1f%%\n", name, s.rps, "-", "-", "-", 100*s.cpu)
		return
	}
	fmt.Printf("%-12s %10.0f %10v %10v %10d %9.1f%% %9.1f%%\n", name, s.rps, s.p50.Round(time.Microsecond), s.p99.Round(time.Microsecond), s.errors, 100*s.cpu, 100*s.genCPU)
}

// measure sends requests at a fixed rate for d, whatever the responses do
// (open loop, through a pool of workers), and measures each from its
// scheduled time, so that a slow response delays no later measurement (no
// coordinated omission).
func measure(svc *service, path string, rate float64, d time.Duration, workers int) stats {
	interval := time.Duration(float64(time.Second) / rate)
	total := int(d / interval)
	lat := make([]time.Duration, total)
	var errs atomic.Int64
	slots := make(chan int, total)
	for i := range total {
		slots <- i
	}
	close(slots)
	clients := svc.connect(workers, path)
	start := time.Now()
	cpu0, gen0 := cpuTime(svc.pid()), cpuTime(os.Getpid())
	withClients(clients, func(c *client) {
		for i := range slots {
			due := start.Add(time.Duration(i) * interval)
			if w := time.Until(due); w > 0 {
				time.Sleep(w)
			}
			if err := c.get(); err != nil {
				errs.Add(1)
			}
			lat[i] = time.Since(due)
		}
	})
	elapsed := time.Since(start)
	cpu, gen := cpuTime(svc.pid())-cpu0, cpuTime(os.Getpid())-gen0
	slices.Sort(lat)
	return stats{
		rps:    float64(total-int(errs.Load())) / elapsed.Seconds(),
		p50:    lat[total/2],
		p99:    lat[total*99/100],
		errors: errs.Load(),
		cpu:    cpu.Seconds() / elapsed.Seconds(),
		genCPU: gen.Seconds() / elapsed.Seconds(),
		hist:   newLatHist(lat),
	}
}

// median returns the median of each statistic.
func median(runs []stats) stats {
	pick := func(f func(stats) float64) float64 {
		v := make([]float64, len(runs))
		for i, r := range runs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return spread(v).quantile(0.5)
	}
	return stats{
		rps:    pick(func(s stats) float64 { return s.rps }),
		p50:    time.Duration(pick(func(s stats) float64 { return float64(s.p50) })),
		p99:    time.Duration(pick(func(s stats) float64 { return float64(s.p99) })),
		errors: int64(pick(func(s stats) float64 { return float64(s.errors) })),
		cpu:    pick(func(s stats) float64 { return s.cpu }),
		genCPU: pick(func(s stats) float64 { return s.genCPU }),
	}
}

// cpuTime returns the CPU time (user+system) of process pid from /proc.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ is 100
}
