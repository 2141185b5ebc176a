package engine

import (
	"math"
	"time"
)

// MaxTimers bounds the Every callbacks of one script.
const MaxTimers = 256

// timers runs the Every callbacks of a script with a single time.Timer, so
// an idle script costs no goroutine and wakes up only when a callback is
// due. It is owned by the engine goroutine.
type timers struct {
	t    *time.Timer
	list []*timer
}

type timer struct {
	every time.Duration
	next  time.Time
	fn    func()
}

func (ts *timers) init() {
	ts.t = time.NewTimer(math.MaxInt64)
}

// C is the channel the engine goroutine waits on.
func (ts *timers) C() <-chan time.Time { return ts.t.C }

func (ts *timers) add(d time.Duration, fn func()) {
	if len(ts.list) >= MaxTimers {
		panic("traces.Every: too many callbacks")
	}
	ts.list = append(ts.list, &timer{every: d, next: time.Now().Add(d), fn: fn})
	ts.arm()
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

func (ts *timers) arm() {
	if len(ts.list) == 0 {
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
