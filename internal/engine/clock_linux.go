//go:build linux

package engine

import (
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// noThreadClock makes threadCPU fail, as where the clock cannot be read:
// tests set it to exercise the watchdog's wall-time fallback.
var noThreadClock atomic.Bool

// gettid returns the calling OS thread's id.
func gettid() int { return syscall.Gettid() }

// threadCPU returns the CPU time thread tid of this process has used, from
// the kernel's per-thread scheduler clock (what pthread_getcpuclockid
// names), which any thread of the process may read: time on CPU, however
// loaded the host is. It reports false if the clock cannot be read.
func threadCPU(tid int) (time.Duration, bool) {
	if tid <= 0 || noThreadClock.Load() {
		return 0, false
	}
	// MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED): ^tid<<3 | PERTHREAD(4) | SCHED(2).
	id := int32(^tid<<3 | 6)
	var ts syscall.Timespec
	// A raw system call: clock_gettime never blocks, and Syscall would
	// tell the scheduler it might. That wakes the runtime's monitor thread
	// (sysmon) when the process was idle, which then polls every 20 µs
	// until it is idle again: several context switches for each stretch of
	// the engine, one per event when events come one at a time.
	_, _, errno := syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, uintptr(id), uintptr(unsafe.Pointer(&ts)), 0)
	if errno != 0 {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
