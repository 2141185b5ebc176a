//go:build linux && !race

package jstrace

import (
	"sync"
	"syscall"
)

// offHeap holds the mappings pooledMemory made (see ringmem.go).
var offHeap struct {
	mu     sync.Mutex
	free   map[int][][]byte // idle mappings by size, their pages given back
	mapped map[*byte]bool   // every mapping made, by its first byte
}

// pooledMemory returns n bytes outside the Go heap: a mapping a freed ring
// left, or a new one. Should the system refuse a mapping, the bytes come
// from the heap.
func pooledMemory(n int) []byte {
	offHeap.mu.Lock()
	defer offHeap.mu.Unlock()
	if f := offHeap.free[n]; len(f) > 0 {
		b := f[len(f)-1]
		f[len(f)-1] = nil
		offHeap.free[n] = f[:len(f)-1]
		return b
	}
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS)
	if err != nil {
		return make([]byte, n)
	}
	if offHeap.mapped == nil {
		offHeap.free, offHeap.mapped = map[int][][]byte{}, map[*byte]bool{}
	}
	offHeap.mapped[&b[0]] = true
	return b
}

// freePooledMemory gives b's pages back to the system and keeps its
// mapping for the next ring of its size; a buffer from the heap is left
// to the collector.
func freePooledMemory(b []byte) {
	offHeap.mu.Lock()
	mapped := offHeap.mapped[&b[0]]
	offHeap.mu.Unlock()
	if !mapped {
		return
	}
	// Refused (it cannot be, for a whole mapping), the pages stay
	// resident and are reused all the same.
	_ = syscall.Madvise(b, syscall.MADV_DONTNEED)
	offHeap.mu.Lock()
	offHeap.free[len(b)] = append(offHeap.free[len(b)], b)
	offHeap.mu.Unlock()
}
