// Package cpuclock reads the kernel's per-thread CPU clocks: how much CPU
// a thread of this process has used, however loaded the host is, where
// wall time would also count the time the thread waited for a CPU.
//
// The engine's watchdog reads the clock of the thread a script runs on;
// the agent times a sample of the reductions that native Aggregations do
// on the service's goroutines with the calling thread's. A read is a
// system call (about 1 µs in a virtual machine): callers sample. Where no
// such clock exists (not Linux, or the kernel refuses), every read
// reports false and callers fall back on wall time.
//
// The functions are safe for concurrent use.
package cpuclock

import "sync/atomic"

// off makes every read fail, as where the clock cannot be read.
var off atomic.Bool

// SetOff makes every read fail (true) or not (false): tests exercise the
// fallbacks on wall time with it.
func SetOff(b bool) { off.Store(b) }
