package agent

import (
	"runtime"
	"sync/atomic"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/cpuclock"
)

// A reduction is timed by wall time while its samples stay short: a clock
// read is a few nanoseconds, a thread's CPU clock a system call (about
// 1 µs in a virtual machine). But wall time also counts the time the
// thread waited for a CPU, and one sample counts sampleEvery times: a
// service descheduled for 10 ms in the middle of a sampled reduction of
// 1 µs, as happens on a loaded host, would be charged 640 ms of CPU, and
// a session doing little would be detached when the host is busiest.
//
// So a sample is counted at wall time up to longSample only. One that
// takes longer is counted as longSample, and the subscription's next
// samples read the thread's CPU clock, counting the CPU time the
// reduction took, until one takes less
// than longSample of CPU again. Reductions that are really long (huge
// records) are thus counted at their CPU time, and the rare descheduled
// sample of a short one costs a system call on the next sample.
const longSample = 50 * time.Microsecond

// reductionTimer estimates the CPU time of one subscription's reductions
// from samples, into cpu (the session's, shared by its subscriptions). It
// is safe for concurrent use.
type reductionTimer struct {
	cpu     *atomic.Int64       // estimated nanoseconds, for the governor
	precise atomic.Bool         // samples read the thread's CPU clock
	event   func(jstrace.Event) // the reduction
}

// sample runs the reduction of e and adds sampleEvery times its cost to
// cpu.
func (r *reductionTimer) sample(e jstrace.Event) {
	if !r.precise.Load() {
		start := time.Now()
		r.event(e)
		d := time.Since(start)
		if d > longSample {
			d = longSample
			r.precise.Store(true)
		}
		r.cpu.Add(int64(d) * sampleEvery)
		return
	}
	// Locked to its thread, the goroutine reads one thread's clock twice
	// even if the reduction blocks (the locks nest: a service's own
	// LockOSThread holds).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c0, ok0 := cpuclock.Self()
	start := time.Now()
	r.event(e)
	d := time.Since(start)
	c1, ok1 := cpuclock.Self()
	if ok0 && ok1 {
		d = min(max(c1-c0, 0), d)
		if d < longSample {
			r.precise.Store(false)
		}
	}
	// Without a thread clock (not Linux), the wall time, however long:
	// as a host too loaded to tell is charged.
	r.cpu.Add(int64(d) * sampleEvery)
}
