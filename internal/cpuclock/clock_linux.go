//go:build linux

package cpuclock

import (
	"syscall"
	"time"
	"unsafe"
)

// Gettid returns the calling OS thread's id.
func Gettid() int { return syscall.Gettid() }

// Thread returns the CPU time thread tid of this process has used, from
// the kernel's per-thread scheduler clock (what pthread_getcpuclockid
// names), which any thread of the process may read. It reports false if
// the clock cannot be read.
func Thread(tid int) (time.Duration, bool) {
	if tid <= 0 {
		return 0, false
	}
	// MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED): ^tid<<3 | PERTHREAD(4) | SCHED(2).
	return read(int32(^tid<<3 | 6))
}

// Self returns the CPU time the calling thread has used
// (CLOCK_THREAD_CPUTIME_ID). A goroutine may move to another thread
// between two reads: the difference of two is only meaningful while the
// goroutine was not descheduled, which callers check against wall time.
func Self() (time.Duration, bool) { return read(3) }

func read(id int32) (time.Duration, bool) {
	if off.Load() {
		return 0, false
	}
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
