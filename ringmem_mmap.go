//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package jstrace

import (
	"sync/atomic"
	"syscall"
)

// ringsMapped counts the rings' mappings not yet unmapped, for tests.
var ringsMapped atomic.Int64

// ringMemory returns n zero bytes for a session buffer and, when they are
// not Go memory, the function that gives them back.
//
// A buffer of mapMin bytes or more is mapped from the kernel rather than
// allocated: the kernel supplies a page only when a probe first writes to
// it, zeroed, where a Go allocation is zeroed whole at once (the heap
// reuses memory it freed), a page fault for each of its pages where the
// scavenger gave them back. A session whose consumer keeps up writes into
// the same few pages (ring.release starts an empty shard over), so it
// costs those pages, not its buffer's size, in CPU at attach and in
// resident memory after (bench/README.md, Attach).
func ringMemory(n int) (b []byte, free func()) {
	if n < mapMin {
		return make([]byte, n), nil
	}
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil { // out of mappings or address space: the heap, as before
		return make([]byte, n), nil
	}
	ringsMapped.Add(1)
	return b, func() {
		syscall.Munmap(b)
		ringsMapped.Add(-1)
	}
}
