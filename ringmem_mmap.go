//go:build (linux || darwin || freebsd || netbsd || openbsd || dragonfly) && !race

package jstrace

import (
	"runtime"
	"syscall"
)

// bigRingMemory maps n bytes outside the Go heap for a session buffer. A
// buffer holds no pointers, so the collector has nothing to scan in it;
// on the heap it would still count towards the heap the collector paces
// itself by: a service whose live heap is a few MiB (the example service
// keeps less than one) would collect more often for every session
// attached, ~10 % more often for a 2-MiB pair of buffers at Go's 4-MiB
// floor. The pages are populated now, where the kernel supports it, so
// that the probes writing the buffer do not take its page faults. The
// mapping is undone once its box is unreachable: out of every ring and
// dropped by its pool. (Race-detector builds keep buffers on the heap,
// where the detector sees the accesses to them.)
func bigRingMemory(n int) *[]byte {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE|mapPopulate)
	if err != nil {
		b = make([]byte, n)
		return &b
	}
	box := &b
	runtime.AddCleanup(box, unmap, b)
	return box
}

func unmap(b []byte) { syscall.Munmap(b) }

// offHeapRings reports whether session buffers of poolMin bytes or more
// are mapped outside the Go heap, for tests.
const offHeapRings = true
