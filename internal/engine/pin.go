package engine

import (
	"runtime"
	"sync/atomic"
	"time"

	"github.com/jstrace-go/jstrace/internal/cpuclock"
	"github.com/jstrace-go/jstrace/internal/sandbox/halt"
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
	// seq is odd while pin or unpin (the engine goroutine, the only
	// writer) updates tid, start, used, wallStart and wall: readers retry
	// until they read them all between two updates, so that CPU and Busy
	// never go backwards.
	seq     atomic.Uint64
	tid     atomic.Int64 // the thread of the current stretch; 0 between stretches
	start   atomic.Int64 // its CPU time when the stretch began, in nanoseconds
	used    atomic.Int64 // CPU time of the stretches that ended, in nanoseconds
	clockOK atomic.Bool  // the thread CPU clock could be read
	// Wall time in stretches (see busy): since the stretch began, if one
	// runs (0 if not), and of the stretches that ended, in nanoseconds
	// since wallBase.
	wallStart, wall atomic.Int64
	// wake is signalled when a stretch begins, for a watchdog that went to
	// sleep while the engine was idle, and ended when one ends, for a
	// watchdog that woke to find it running. Capacity 1 each; ended may
	// be nil (no watchdog waits for it).
	wake, ended chan struct{}
	// halt is the interpreter's kill switch: each stretch's thread is
	// bound to it, so that native code calling back into a killed script
	// unwinds (see package halt). bound is that thread; both are owned by
	// the engine goroutine.
	halt  *halt.Switch
	bound int
}

func (p *pinning) pin() {
	runtime.LockOSThread()
	tid := cpuclock.Gettid()
	if p.halt != nil {
		p.halt.Bind(tid)
		p.bound = tid
	}
	start, ok := cpuclock.Thread(tid)
	p.seq.Add(1)
	p.wallStart.Store(max(int64(time.Since(wallBase)), 1)) // 0 means none
	if ok {
		p.clockOK.Store(true)
		p.start.Store(int64(start))
		p.tid.Store(int64(tid))
	}
	p.seq.Add(1)
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *pinning) unpin() {
	// The clocks are read after seq turns odd: a reader that saw it even
	// read its own clocks earlier, so that its sum is no more than ours.
	p.seq.Add(1)
	if tid := int(p.tid.Load()); tid != 0 {
		if now, ok := cpuclock.Thread(tid); ok && int64(now) > p.start.Load() {
			p.used.Add(int64(now) - p.start.Load())
		}
		p.tid.Store(0)
	}
	p.wall.Add(int64(time.Since(wallBase)) - p.wallStart.Load())
	p.wallStart.Store(0)
	p.seq.Add(1)
	if p.bound != 0 {
		p.halt.Unbind(p.bound)
		p.bound = 0
	}
	runtime.UnlockOSThread()
	select {
	case p.ended <- struct{}{}:
	default:
	}
}

// account adds d, the time of script code run outside a stretch (see
// Engine.Inline), to the engine's CPU and busy time; the caller holds the
// engine's lock, which orders it with pin and unpin.
func (p *pinning) account(d time.Duration) {
	p.seq.Add(1)
	p.used.Add(int64(d))
	p.wall.Add(int64(d))
	p.seq.Add(1)
}

// read calls f until it runs entirely between two updates of the pinning.
func (p *pinning) read(f func()) {
	for {
		seq := p.seq.Load()
		if seq&1 != 0 {
			runtime.Gosched()
			continue
		}
		f()
		if p.seq.Load() == seq {
			return
		}
	}
}

// total returns the engine's CPU time so far, the running stretch
// included: a stretch can last seconds (many timer callbacks or cleanups,
// each within its budget) and must count in the window it runs in.
func (p *pinning) total() time.Duration {
	var t int64
	p.read(func() {
		t = p.used.Load()
		if tid := p.tid.Load(); tid != 0 {
			if now, ok := cpuclock.Thread(int(tid)); ok {
				t += max(int64(now)-p.start.Load(), 0)
			}
		}
	})
	return time.Duration(t)
}

// current returns the thread of the stretch running now (0 if none) and its
// CPU time.
func (p *pinning) current() (tid int, cpu time.Duration, ok bool) {
	tid = int(p.tid.Load())
	cpu, ok = cpuclock.Thread(tid)
	return tid, cpu, ok
}
