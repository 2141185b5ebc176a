//go:build !linux || race

package jstrace

import (
	"math/bits"
	"sync"
)

// ringPools are the free buffers by bits.Len of their size (a power of
// two). A new Go allocation of a MiB is zeroed whole at once, from memory
// the heap freed and, often, the scavenger gave back to the system: a
// page fault a page. On this project's test machine that was 31 % of the
// CPU of agents attaching (bench/README.md, Attach). The pools are
// sync.Pools, which the garbage collector empties: a process keeps no
// buffer for long after its last session ended.
var ringPools [64]sync.Pool

// pooledMemory returns n bytes from the heap, reused if a buffer of that
// size is free.
func pooledMemory(n int) []byte {
	if v, _ := ringPools[bits.Len(uint(n))].Get().(*[]byte); v != nil && len(*v) == n {
		return *v
	}
	return make([]byte, n)
}

// freePooledMemory gives b to the next ring of its size.
func freePooledMemory(b []byte) {
	ringPools[bits.Len(uint(len(b)))].Put(&b)
}
