package jstrace

import (
	"sync/atomic"
)

// A ring's buffers of poolMin bytes or more are the session buffers, a
// MiB by default. Where they live is the platform's choice:
//
//   - On Linux (ringmem_mmap.go), outside the Go heap, in anonymous
//     mappings: a service's collector neither counts them in its heap,
//     whose goal they would raise past the runway a small service allocates
//     into (a session's MiB of buffer made the example service collect
//     12 % more often, and cost it a point of CPU a request at saturation:
//     bench/README.md, "A session's buffer outside the heap"), nor zeroes
//     them; pages a ring never writes are never resident. A freed mapping
//     gives its pages back to the system and is kept for the next ring of
//     its size; it is never unmapped, so that no stray slice of it can
//     fault.
//   - Elsewhere, and under the race detector, which watches only the
//     heap's memory (ringmem_heap.go), on the heap, reused through
//     sync.Pools.
//
// A ring reads only the bytes it wrote, so neither kind is zeroed for it.
const poolMin = 64 << 10

// ringsOut counts pooled-size buffers handed out and not yet given back,
// for tests.
var ringsOut atomic.Int64

// ringMemory returns n bytes for a ring's shard, not necessarily zero;
// freeRingMemory gives them back once nothing can touch them any more
// (see newShardedRing).
func ringMemory(n int) []byte {
	if n < poolMin {
		return make([]byte, n)
	}
	ringsOut.Add(1)
	return pooledMemory(n)
}

// freeRingMemory gives back the buffers ringMemory returned (those too
// small to pool are left to the collector).
func freeRingMemory(bufs [][]byte) {
	for _, b := range bufs {
		if len(b) >= poolMin {
			ringsOut.Add(-1)
			freePooledMemory(b)
		}
	}
}
