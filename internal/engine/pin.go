package engine

import (
	"runtime"
	"sync/atomic"
	"time"
)

// The engine goroutine runs script code in stretches (a batch of traces, a
// timer, a task), each on one OS thread: pin locks the goroutine to its
// thread for the stretch and publishes the thread for the watchdog, which
// reads its CPU clock (a stretch that loops is thus told from a host too
// loaded to run it); unpin adds the stretch's CPU time to the engine's.
//
// Between stretches the goroutine is free. Locked for good, every wake-up
// of the engine would hand the service's P over to the engine's thread and
// back, two thread switches that requests queue behind: with one P
// (GOMAXPROCS=1) that raised the service's p99 latency by tens of percent
// under a native aggregation that costs it under 1% of its CPU.
type pinning struct {
	tid     atomic.Int64 // the thread of the current stretch; 0 between stretches
	used    atomic.Int64 // CPU time of the stretches so far, in nanoseconds
	clockOK atomic.Bool  // the thread CPU clock could be read

	start time.Duration // the thread's CPU time when the stretch began; engine goroutine only
}

func (p *pinning) pin() {
	runtime.LockOSThread()
	tid := gettid()
	var ok bool
	p.start, ok = threadCPU(tid)
	if ok {
		p.clockOK.Store(true)
		p.tid.Store(int64(tid))
	}
}

func (p *pinning) unpin() {
	if tid := int(p.tid.Swap(0)); tid != 0 {
		if now, ok := threadCPU(tid); ok && now > p.start {
			p.used.Add(int64(now - p.start))
		}
	}
	runtime.UnlockOSThread()
}

// current returns the thread of the stretch running now (0 if none) and its
// CPU time.
func (p *pinning) current() (tid int, cpu time.Duration, ok bool) {
	tid = int(p.tid.Load())
	cpu, ok = threadCPU(tid)
	return tid, cpu, ok
}
