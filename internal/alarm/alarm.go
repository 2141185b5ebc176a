// Package alarm keeps time for an agent's periodic work without Go
// timers.
//
// While a goroutine waits on a Go timer's channel, the timer sits in its
// P's timer heap, and while a P has any timer the scheduler reads the
// clock at each of its scheduling rounds (runtime.(*timers).check): a
// vDSO call, some 45 ns on a virtual machine, several times a request in
// an HTTP service whose own code keeps no timer pending. One goroutine
// waiting on an idle one-second ticker cost the example service 0.3–0.6 %
// of its CPU a request at saturation (bench/README.md, "A session's
// timers"), and an attached session kept four or five pending: the
// script's Every callbacks, the governor's window, the warnings, the
// multiplexer's keepalive.
//
// A Clock keeps its Timers with one kernel timer (Linux's timerfd) that
// a single goroutine waits on through the network poller, as on a
// socket: no Go timer is pending, no thread or P is held, and the
// goroutine runs only when a Timer is due. Where no such timer can be
// made (another OS, a kernel or seccomp policy refusing it), and for a
// nil Clock, Timers are Go timers.
package alarm

import (
	"math"
	"sync"
	"time"
)

// A Clock runs Timers. Its methods and its Timers' are safe for
// concurrent use. The zero value is not usable: call New; a nil *Clock
// makes Go timers.
type Clock struct {
	base time.Time // readings are nanoseconds since base (monotonic)

	mu       sync.Mutex
	kernel   kernelTimer // nil until the first Timer, or if none could be made
	tried    bool        // the kernel timer was asked for
	armed    []*Timer    // the Timers due, in no order
	armedAt  int64       // when the kernel timer fires; 0 if disarmed
	fallback *time.Timer // fires in its place while setting it fails (see arm)
	closed   bool
	loopDone chan struct{} // closed when the goroutine returns; nil if none started
}

// kernelTimer is a one-shot timer of the kernel's whose expiry a read
// waits for without holding a thread.
type kernelTimer interface {
	// set arms it to fire in d (> 0), or disarms it (d == 0).
	set(d time.Duration) error
	// wait blocks until it fires; it fails once closed.
	wait() error
	close() error
}

// New returns a Clock; nothing is started until its first Timer.
func New() *Clock { return &Clock{base: time.Now()} }

// A Timer sends the time on C when due, like a time.Timer or, made with
// NewTicker, a time.Ticker (a tick is dropped if C still holds the last
// one). After Stop or Reset returns, C holds no value of the earlier
// schedule.
type Timer struct {
	C <-chan time.Time

	c      chan time.Time
	clock  *Clock
	due    int64 // since clock.base; 0 when stopped
	period time.Duration
	slot   int // index in clock.armed, when due

	std    *time.Timer // the Go timer, where there is no kernel timer
	stdTck *time.Ticker
}

// NewTimer returns a Timer that fires once, after d.
func (c *Clock) NewTimer(d time.Duration) *Timer { return c.newTimer(d, 0) }

// NewTicker returns a Timer that fires every d (> 0), the first time
// after d.
func (c *Clock) NewTicker(d time.Duration) *Timer {
	if d <= 0 {
		panic("alarm: non-positive interval for NewTicker")
	}
	return c.newTimer(d, d)
}

func (c *Clock) newTimer(d, period time.Duration) *Timer {
	if c == nil || !c.useKernel() {
		t := &Timer{period: period}
		if period > 0 {
			t.stdTck = time.NewTicker(period)
			t.C = t.stdTck.C
		} else {
			t.std = time.NewTimer(d)
			t.C = t.std.C
		}
		return t
	}
	t := &Timer{c: make(chan time.Time, 1), clock: c, period: period}
	t.C = t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	c.schedule(t, d)
	return t
}

// Reset makes t fire after d (a ticker: every d from then on, d > 0),
// dropping a value C holds.
func (t *Timer) Reset(d time.Duration) {
	switch {
	case t.stdTck != nil:
		t.stdTck.Reset(d)
	case t.std != nil:
		t.std.Reset(d)
	default:
		c := t.clock
		c.mu.Lock()
		defer c.mu.Unlock()
		drain(t.c)
		if t.period > 0 {
			if d <= 0 {
				panic("alarm: non-positive interval for Reset of a ticker")
			}
			t.period = d
		}
		c.schedule(t, d)
	}
}

// Stop keeps t from firing, and drops a value C holds.
func (t *Timer) Stop() {
	switch {
	case t.stdTck != nil:
		t.stdTck.Stop()
	case t.std != nil:
		t.std.Stop()
	default:
		c := t.clock
		c.mu.Lock()
		defer c.mu.Unlock()
		drain(t.c)
		c.unschedule(t)
	}
}

func drain(c chan time.Time) {
	select {
	case <-c:
	default:
	}
}

// Close stops the goroutine and releases the kernel timer; Timers made
// afterwards are Go timers, and those of the Clock fire no more. It is
// idempotent.
func (c *Clock) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	k, done := c.kernel, c.loopDone
	c.armed = nil
	if c.fallback != nil {
		c.fallback.Stop()
	}
	c.mu.Unlock()
	if k == nil {
		return nil
	}
	err := k.close()
	<-done
	return err
}

// useKernel reports whether Timers are the kernel timer's, making it and
// starting the goroutine on the first call.
func (c *Clock) useKernel() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	if !c.tried {
		c.tried = true
		if k, err := newKernelTimer(); err == nil {
			c.kernel, c.loopDone = k, make(chan struct{})
			go c.loop(k)
		}
	}
	return c.kernel != nil
}

// now returns the time since base; callers hold mu.
func (c *Clock) now() int64 { return int64(time.Since(c.base)) }

// schedule makes t due d from now; the caller holds mu.
func (c *Clock) schedule(t *Timer, d time.Duration) {
	if c.closed {
		return
	}
	if t.due == 0 {
		t.slot = len(c.armed)
		c.armed = append(c.armed, t)
	}
	t.due = later(c.now(), int64(max(d, 1)))
	if c.armedAt == 0 || t.due < c.armedAt {
		c.arm(t.due)
	}
}

// later returns now+d, or math.MaxInt64 where that overflows (Every(
// math.MaxInt64): "never"), as Go timers saturate.
func later(now, d int64) int64 {
	if d > math.MaxInt64-now {
		return math.MaxInt64
	}
	return now + d
}

// maxArm is the farthest the kernel timer is set: a Timer due later gets
// it set again when it fires, for nothing.
const maxArm = 24 * time.Hour

// unschedule removes t from the Timers due; the caller holds mu. The
// kernel timer may then fire early, for nothing: it is set again then.
func (c *Clock) unschedule(t *Timer) {
	if t.due == 0 || c.closed {
		t.due = 0
		return
	}
	last := c.armed[len(c.armed)-1]
	c.armed[t.slot], last.slot = last, t.slot
	c.armed[len(c.armed)-1] = nil
	c.armed = c.armed[:len(c.armed)-1]
	t.due = 0
}

// arm sets the kernel timer to fire at due (since base), or disarms it
// (due == 0); the caller holds mu. Should setting it fail (it cannot for
// a valid descriptor and duration, and the descriptor is the Clock's
// own), a Go timer fires in its place, so that no Timer is lost.
func (c *Clock) arm(due int64) {
	d := time.Duration(0)
	if due != 0 {
		d = min(time.Duration(max(due-c.now(), 1)), maxArm)
	}
	if c.fallback != nil {
		c.fallback.Stop()
		c.fallback = nil
	}
	if err := c.kernel.set(d); err != nil && d > 0 {
		c.fallback = time.AfterFunc(d, c.fire)
	}
	c.armedAt = due
}

// loop waits for the kernel timer and fires the Timers due.
func (c *Clock) loop(k kernelTimer) {
	defer close(c.loopDone)
	for {
		if err := k.wait(); err != nil {
			c.mu.Lock()
			closed := c.closed
			c.mu.Unlock()
			if closed {
				return
			}
			// Not closed, the read cannot fail; should it, not in a
			// tight loop (a Go timer for a moment, in this case only).
			time.Sleep(10 * time.Millisecond)
			continue
		}
		c.fire()
	}
}

// fire sends on the channels of the Timers due, reschedules the tickers,
// and sets the kernel timer for the next one.
func (c *Clock) fire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	now := c.now()
	wall := time.Now()
	next := int64(0)
	for i := 0; i < len(c.armed); {
		t := c.armed[i]
		if t.due <= now {
			select {
			case t.c <- wall:
			default: // the last tick was not taken: drop this one
			}
			if t.period <= 0 {
				c.unschedule(t)
				continue // the last Timer moved to i
			}
			t.due = later(t.due, int64(t.period))
			if t.due <= now { // overran: no burst of ticks to catch up
				t.due = later(now, int64(t.period))
			}
		}
		if next == 0 || t.due < next {
			next = t.due
		}
		i++
	}
	c.armedAt = 0
	c.arm(next)
}
