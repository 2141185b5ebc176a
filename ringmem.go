package jstrace

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// Session buffers of poolMin bytes or more are reused: a ring nobody can
// reach any more gives its memory to the next ring of its size, unzeroed
// (a ring reads only the bytes it wrote). A new Go allocation of a MiB is
// zeroed whole at once, from memory the heap freed and, often, the
// scavenger gave back to the system: a page fault a page. On this
// project's test machine that was 31 % of the CPU of agents attaching
// (bench/README.md, Attach). The pools are sync.Pools, which the garbage
// collector empties: a process keeps no buffer for long after its last
// session ended.
const poolMin = 64 << 10

// ringPools are the free buffers by bits.Len of their size (a power of
// two).
var ringPools [64]sync.Pool

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
	if v, _ := ringPools[bits.Len(uint(n))].Get().(*[]byte); v != nil && len(*v) == n {
		return *v
	}
	return make([]byte, n)
}

// freeRingMemory gives back the buffers ringMemory returned (those too
// small to pool are left to the collector).
func freeRingMemory(bufs [][]byte) {
	for _, b := range bufs {
		if len(b) >= poolMin {
			ringsOut.Add(-1)
			ringPools[bits.Len(uint(len(b)))].Put(&b)
		}
	}
}
