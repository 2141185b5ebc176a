//go:build !((linux || darwin || freebsd || netbsd || openbsd || dragonfly) && !race)

package jstrace

// bigRingMemory allocates n bytes on the heap for a session buffer, where
// the platform has no mapping the ring can use, and in race-detector
// builds, whose detector sees accesses to heap memory only.
func bigRingMemory(n int) *[]byte {
	b := make([]byte, n)
	return &b
}

// offHeapRings reports whether session buffers of poolMin bytes or more
// are mapped outside the Go heap, for tests.
const offHeapRings = false
