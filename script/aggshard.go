package script

import (
	"runtime"
	"sync"
	"unsafe"
)

// An Aggregation fed from several cores keeps its groups in shards, as
// DTrace keeps an aggregation per CPU: a probe adds to the shard its
// goroutine's stack address hashes to, under that shard's lock, so that
// goroutines on different cores seldom share a lock or a cache line, and
// Take and Snapshot merge the shards by key (exactly for Count, Min, Max
// and integer sums below 2^53, other sums up to the rounding of adding in
// another order; histograms bucket by bucket). A goroutine mostly keeps its
// shard (the hash is of its stack's 4 KiB page, which moves when the stack
// grows or a deep call crosses a page), so one that fires many probes
// finds its groups in its core's cache; one that finds its shard's lock
// taken adds to the next free one rather than wait.
//
// The price is memory: a key fed from several shards has a group in each
// (every copy counted in the memory bounds; a key with few events, as
// most of a high-cardinality By, is in few). MaxGroups bounds the keys,
// which the shards share in a set (Aggregation.keys) consulted only when a
// shard starts a group.

// aggShard is one shard: its groups and counters, on cache lines of its
// own.
type aggShard struct {
	mu      sync.Mutex
	groups  map[string]*Group // guarded by mu
	missing int               // guarded by mu
	dropped int               // guarded by mu
	bytes   int64             // what groups hold, also counted in Aggregation.bytes; guarded by mu
	_       [64]byte
}

// maxShards bounds an Aggregation's shards.
const maxShards = 16

// shardCount is how many shards an Aggregation made now has: one while
// the process runs on one core, else twice the cores (fewer goroutines
// share one by chance), a power of two, at most maxShards.
func shardCount() int {
	p := runtime.GOMAXPROCS(0)
	if p <= 1 {
		return 1
	}
	n := 2
	for n < 2*p && n < maxShards {
		n *= 2
	}
	return n
}

func newShards(n int) []aggShard {
	s := make([]aggShard, n)
	for i := range s {
		s[i].groups = map[string]*Group{}
	}
	return s
}

// lockShard returns the calling goroutine's shard, locked: the one its
// stack hashes to, or the next whose lock is free (lockBusy), waiting
// only when every one is taken. Its common path inlines into the probe's.
func (a *Aggregation) lockShard() *aggShard {
	var here byte // its address: where this goroutine's stack is
	i := int(uint64(uintptr(unsafe.Pointer(&here))>>12)*0x9e3779b97f4a7c15>>32) & (len(a.shards) - 1)
	sh := &a.shards[i]
	if sh.mu.TryLock() {
		return sh
	}
	return a.lockBusy(i)
}

// lockBusy is lockShard when shard i is taken.
func (a *Aggregation) lockBusy(i int) *aggShard {
	n := len(a.shards)
	for k := 1; k < n; k++ {
		if sh := &a.shards[(i+k)&(n-1)]; sh.mu.TryLock() {
			return sh
		}
	}
	sh := &a.shards[i]
	sh.mu.Lock()
	return sh
}

// mergeInto adds the groups of gs to into, by key, adopting those it
// lacks. It never writes a group it adopted: a Snapshot that listed it
// before a Take swapped its shard may still be copying it under the
// shard's lock, so a merge goes to a copy (Merge clones the histogram).
func mergeInto(into, gs map[string]*Group) {
	for k, g := range gs {
		if d := into[k]; d != nil {
			m := *d
			m.Merge(*g)
			into[k] = &m
		} else {
			into[k] = g
		}
	}
}
