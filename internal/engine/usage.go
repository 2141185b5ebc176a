package engine

import "time"

// CPU returns the CPU time the engine goroutine has spent on the script so
// far (its stretches of work, the running one included), read from the
// thread CPU clock; 0 where there is none. Hosts add it to other work done
// for the script, to hold budgets the watchdog does not see. Safe for
// concurrent use.
func (e *Engine) CPU() time.Duration { return e.pins.total() }

// PendingBytes returns the memory held by the traces waiting for the
// handlers, with overhead. Safe for concurrent use.
func (e *Engine) PendingBytes() int64 { return e.bytes.Load() }
