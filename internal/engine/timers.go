package engine

import (
	"math"
	"time"
)

// MaxTimers bounds the Every callbacks of one script.
const MaxTimers = 256

// maxCatchUp bounds the callbacks one move of a virtual clock runs: past
// it, the timers skip to the new time, as a wall-clock timer that overran
// does.
const maxCatchUp = 100000

// timers runs the Every callbacks of a script with a single time.Timer, so
// an idle script costs no goroutine and wakes up only when a callback is
// due. With a virtual clock (Options.Clock) the time.Timer never fires:
// advance moves the clock and runs what fell due. It is owned by the
// engine goroutine.
type timers struct {
	t       *time.Timer
	list    []*timer
	virtual bool
	now     time.Time // the virtual clock's time
}

type timer struct {
	every time.Duration
	next  time.Time
	fn    func()
}

// init prepares the timers, on the wall clock, or on a virtual clock
// starting at start if start is not zero.
func (ts *timers) init(start time.Time) {
	ts.t = time.NewTimer(math.MaxInt64)
	ts.virtual, ts.now = !start.IsZero(), start
}

// clock returns the time now: the virtual clock's, or the wall clock's.
func (ts *timers) clock() time.Time {
	if ts.virtual {
		return ts.now
	}
	return time.Now()
}

// C is the channel the engine goroutine waits on.
func (ts *timers) C() <-chan time.Time { return ts.t.C }

func (ts *timers) add(d time.Duration, fn func()) {
	if len(ts.list) >= MaxTimers {
		panic("traces.Every: too many callbacks")
	}
	ts.list = append(ts.list, &timer{every: d, next: ts.clock().Add(d), fn: fn})
	ts.arm()
}

// partial returns the timers of list whose period since their last call
// (or since Every, if none) is at least a tenth of a period: those a
// final call at the end has something to report for. The others were
// just called: another call would repeat them.
func (ts *timers) partial(list []*timer) []*timer {
	now := ts.clock()
	var out []*timer
	for _, t := range list {
		if now.Sub(t.next.Add(-t.every)) >= t.every/10 {
			out = append(out, t)
		}
	}
	return out
}

// fire runs the due callbacks through run, then re-arms. A callback that
// overran its period is not run twice to catch up.
func (ts *timers) fire(run func(func())) {
	now := time.Now()
	for _, t := range ts.list {
		if !t.next.After(now) {
			run(t.fn)
			t.next = t.next.Add(t.every)
			if after := time.Now(); t.next.Before(after) {
				t.next = after.Add(t.every)
			}
		}
	}
	ts.arm()
}

// advance moves a virtual clock to the time to (never back) and runs,
// through run, every callback due by then, in the order of their due
// times, each period of each timer, as the wall clock would have had that
// much time passed. Beyond maxCatchUp callbacks, the rest are skipped.
func (ts *timers) advance(to time.Time, run func(func())) {
	if !ts.virtual || !to.After(ts.now) {
		return
	}
	for range maxCatchUp {
		var due *timer
		for _, t := range ts.list { // run may have stopped or added timers
			if !t.next.After(to) && (due == nil || t.next.Before(due.next)) {
				due = t
			}
		}
		if due == nil {
			break
		}
		ts.now = due.next
		due.next = due.next.Add(due.every)
		run(due.fn)
	}
	for _, t := range ts.list {
		// Whole periods only, so the timer keeps its phase; in steps, as
		// a gap may exceed a Duration (Sub saturates) and k×every+every
		// may overflow one.
		for !t.next.After(to) {
			t.next = t.next.Add(to.Sub(t.next) / t.every * t.every).Add(t.every)
		}
	}
	ts.now = to
}

func (ts *timers) arm() {
	if len(ts.list) == 0 || ts.virtual {
		return
	}
	next := ts.list[0].next
	for _, t := range ts.list[1:] {
		if t.next.Before(next) {
			next = t.next
		}
	}
	ts.t.Reset(time.Until(next))
}

func (ts *timers) stop() {
	ts.list = nil
	ts.t.Stop()
}
