package jstrace

import _ "unsafe" // go:linkname

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
