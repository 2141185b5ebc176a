package agent

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jstrace-go/jstrace"
)

// The built-in probes of the Go runtime. Nothing samples the runtime while
// no session subscribes to any of them: the first subscription starts one
// sampler goroutine for the process, and the last one leaving stops it.
var (
	// probeGoGC fires once per completed GC cycle.
	probeGoGC = jstrace.NewProbe("go:gc")
	// probeGoHeap fires every sampling period with the heap's size.
	probeGoHeap = jstrace.NewProbe("go:heap")
	// probeGoSched fires every sampling period with the scheduler's latency.
	probeGoSched = jstrace.NewProbe("go:sched")
)

// RuntimeSamplePeriod is how often the runtime probes sample the runtime
// while subscribed; go:gc reports the cycles completed since the previous
// sample, each in its own event.
const RuntimeSamplePeriod = time.Second

// goRuntime is the process's one runtime sampler: the runtime is
// process-wide, whichever agents and sessions subscribe.
var goRuntime = &rtSampler{period: RuntimeSamplePeriod}

func init() {
	for _, p := range []*jstrace.Probe{probeGoGC, probeGoHeap, probeGoSched} {
		p.Watch(goRuntime.changed)
	}
}

// An rtSampler starts and stops the sampling goroutine as the runtime
// probes turn enabled and disabled. Its methods are safe for concurrent
// use.
type rtSampler struct {
	mu     sync.Mutex
	period time.Duration // RuntimeSamplePeriod; tests shorten it
	stop   chan struct{} // non-nil while a sampler runs: closing it stops it
	done   chan struct{} // closed when the last sampler started has returned
}

// changed is the probes' Watch function: it runs with the probe registry
// locked, so it only starts a goroutine or signals one, never waits.
func (r *rtSampler) changed(bool) {
	on := probeGoGC.Enabled() || probeGoHeap.Enabled() || probeGoSched.Enabled()
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case on && r.stop == nil:
		r.stop, r.done = make(chan struct{}), make(chan struct{})
		go r.run(r.stop, r.done, r.period)
	case !on && r.stop != nil:
		close(r.stop)
		r.stop = nil
	}
}

// running returns whether a sampler should be running, and the channel
// closed when the last one started returns.
func (r *rtSampler) running() (bool, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stop != nil, r.done
}

// run samples the runtime every period until stop is closed. A panic
// (a bug here: the service must not die of it) stops the sampling and is
// logged; the next subscription after the last one leaves starts afresh.
func (r *rtSampler) run(stop, done chan struct{}, period time.Duration) {
	defer close(done)
	defer func() {
		if v := recover(); v != nil {
			slog.Default().Error("jstrace: the runtime probes' sampler panicked and stopped", "panic", fmt.Sprint(v))
		}
	}()
	s := newRTState()
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			s.sample()
		}
	}
}
