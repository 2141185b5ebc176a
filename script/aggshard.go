package script

import (
	"runtime"
	"sync"
	_ "unsafe" // go:linkname
)

// An Aggregation fed from several cores keeps its groups in shards, as
// DTrace keeps an aggregation per CPU: a probe adds to the shard of the
// processor (the runtime's P) its goroutine runs on, under that shard's
// lock, so that goroutines on different cores never share a lock or a
// cache line, and Take and Snapshot merge the shards by key (exactly for
// Count, Min, Max and integer sums below 2^53, other sums up to the
// rounding of adding in another order; histograms bucket by bucket). A
// goroutine moved to another P between reading its P and taking the lock
// finds the lock taken, at worst, and adds to the next free shard rather
// than wait.
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
	recent  recentGroups      // guarded by mu
	_       [64]byte
}

// recentGroups remembers the groups of a shard found last, in front of
// its map: most aggregations see few keys (statuses, methods, routes),
// and finding one here is a compare of the key with the group's own
// (Group.mapKey) where the map hashes the key and searches (a seventh of
// an aggregated event). Slots are picked by a key's length and its first
// and last bytes, so that keys differing at either end ("200", "201",
// "500") take different ones. Each entry has a tag of its key (keyTag),
// so that most misses are told without reading the group, a cold line
// when keys are many: a miss costs a compare and two stores. The map
// stays the truth: an entry is a group the map holds, and the whole is
// forgotten when the map is (take).
type recentGroups [recentSlots]recentGroup

type recentGroup struct {
	tag uint32
	g   *Group // nil: empty
}

const recentSlots = 8 // a power of two

// keyTag is a key's length and three of its bytes (first, middle, last),
// 0 for the empty key; recentSlot picks a slot from it.
func keyTag(key []byte) uint32 {
	n := len(key)
	if n == 0 {
		return 0
	}
	return uint32(n&0xff) | uint32(key[0])<<8 | uint32(key[n/2])<<16 | uint32(key[n-1])<<24
}

func recentSlot(tag uint32) int {
	return int(tag^tag>>8^tag>>24) & (recentSlots - 1)
}

// group returns the group of key in sh, nil if it has none, remembering
// what it finds in the map; the caller holds sh.mu.
func (sh *aggShard) group(key []byte) *Group {
	tag := keyTag(key)
	e := &sh.recent[recentSlot(tag)]
	if e.tag == tag && e.g != nil && e.g.mapKey == string(key) {
		return e.g
	}
	g := sh.groups[string(key)]
	if g != nil {
		e.tag, e.g = tag, g
	}
	return g
}

// remember puts g, just made, in key's slot; the caller holds sh.mu.
func (sh *aggShard) remember(key []byte, g *Group) {
	tag := keyTag(key)
	sh.recent[recentSlot(tag)] = recentGroup{tag, g}
}

// maxShards bounds an Aggregation's shards.
const maxShards = 16

// shardCount is how many shards an Aggregation made now has: one per P
// (runtime.GOMAXPROCS), rounded up to a power of two, at most maxShards.
// Ps added later share shards.
func shardCount() int {
	n := 1
	for n < runtime.GOMAXPROCS(0) && n < maxShards {
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

// procPin and procUnpin find the calling goroutine's P (its shard: the
// probe's path reads it and locks the shard with TryLock, or calls
// lockBusy if it is taken). They are the runtime's, as sync.Pool uses them to find
// its P's local pool: the runtime keeps them for the packages that link to
// them (go.dev/issue/67401).
//
//go:linkname procPin runtime.procPin
func procPin() int

//go:linkname procUnpin runtime.procUnpin
func procUnpin()

// lockBusy returns a shard, locked, when the calling goroutine's, i, is
// taken: the next whose lock is free, waiting for i only when every one
// is taken.
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
