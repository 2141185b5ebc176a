package jstrace

import (
	"sync"
	_ "unsafe" // go:linkname
)

// procShard returns the index, among n (a power of two), of the shard of
// the processor (the runtime's P) the calling goroutine runs on: probes
// on different cores write to different shards, whose locks and cache
// lines then stay with their core. A goroutine that moves meanwhile only
// finds its shard's lock taken, at worst.
func procShard(n int) int {
	p := procPin() // pinned for no longer than reading the P's id
	procUnpin()
	return p & (n - 1)
}

// procPin and procUnpin are the runtime's, as sync.Pool uses them to find
// its P's local pool: the runtime keeps them for the packages that link
// to them (go.dev/issue/67401).
//
//go:linkname procPin runtime.procPin
func procPin() int

//go:linkname procUnpin runtime.procUnpin
func procUnpin()

// A shard is an element of a sharded structure (the session buffer's
// parts, the flight recorder's shards) with a lock of its own.
type shard[S any] interface {
	*S
	lock() *sync.Mutex
}

// lockNextFree returns a shard of shards (a power of two in number),
// locked, when shard i, the caller's, is busy: the next whose lock is
// free, or i once every one is busy. The caller tries i's lock first, in
// its own code, so that the common path stays inlined.
func lockNextFree[S any, P shard[S]](shards []S, i int) *S {
	n := len(shards)
	for k := 1; k < n; k++ {
		if s := &shards[(i+k)&(n-1)]; P(s).lock().TryLock() {
			return s
		}
	}
	s := &shards[i]
	P(s).lock().Lock()
	return s
}
