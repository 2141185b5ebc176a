package engine

import (
	"runtime"
	"time"
)

// The engine lets the service's goroutines run after yieldAfter of script
// work in a row. A batch of traces can keep handlers busy for milliseconds
// (a thousand traces through interpreted handlers at a microsecond or more
// each), and Go preempts a running goroutine only after 10 ms: on a service
// with few Ps (GOMAXPROCS=1 in a small container) every request arriving
// meanwhile would wait for the batch. Yielding costs the engine a trip
// through the scheduler and three clock reads once per yieldAfter.
const yieldAfter = 25 * time.Microsecond

// yieldCheck is the weight of a step after which the clock is read: every
// interpreted call (each costs far more than a clock read), every
// yieldCheck-th native one.
const yieldCheck = 16

// yielder counts the steps of a batch and yields when yieldAfter has passed.
// Its zero value starts a slice on first use; it is used by the engine
// goroutine only.
type yielder struct {
	pins  *pinning
	start time.Duration // since epoch; 0 before the first step
	steps int
}

// epoch makes monotonic readings of one clock read (time.Now takes two).
var epoch = time.Now()

// step counts a step of weight w (1 for a native call, yieldCheck for an
// interpreted one) and yields if the slice is over.
func (y *yielder) step(w int) {
	if y.start == 0 {
		y.start = time.Since(epoch)
	}
	if y.steps += w; y.steps < yieldCheck {
		return
	}
	y.steps = 0
	if now := time.Since(epoch); now-y.start >= yieldAfter {
		y.pins.unpin()
		runtime.Gosched()
		y.pins.pin()
		y.start = time.Since(epoch)
	}
}
