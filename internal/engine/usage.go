package engine

import "time"

// CPU returns the CPU time the engine goroutine has spent on the script so
// far (its stretches of work, the running one included), read from the
// thread CPU clock, and the time of handlers run where their probe fired
// (Inline; but for at most publishTime of the latest calls); 0 where
// there is none. Hosts add it to other work done
// for the script, to hold budgets the watchdog does not see. Safe for
// concurrent use.
func (e *Engine) CPU() time.Duration { return e.pins.total() }

// Busy returns the wall time the engine goroutine has spent in stretches
// of work so far, the running one included: the time it held one of the
// process's Ps (GOMAXPROCS), whether or not the host's scheduler ran its
// thread meanwhile. On a loaded host it exceeds CPU; it is what the
// script's work takes from the goroutines of the process. Safe for
// concurrent use.
func (e *Engine) Busy() time.Duration { return e.pins.busy() }

// PendingBytes returns the memory held by the traces waiting for the
// handlers, with overhead. Safe for concurrent use.
func (e *Engine) PendingBytes() int64 { return e.bytes.Load() }

// wallBase is the origin of the pinning's wall clock readings.
var wallBase = time.Now()

// busy returns the wall time of the stretches, the running one included.
func (p *pinning) busy() time.Duration {
	var t int64
	p.read(func() {
		t = p.wall.Load()
		if start := p.wallStart.Load(); start != 0 {
			t += max(int64(time.Since(wallBase))-start, 0)
		}
	})
	return time.Duration(t)
}
