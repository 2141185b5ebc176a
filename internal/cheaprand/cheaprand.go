// Package cheaprand draws pseudo-random numbers for sampling decisions on
// hot paths: which of the events a native Aggregation reduces is timed,
// which of the calls of a handler run where its probe fires.
package cheaprand

import _ "unsafe" // go:linkname

// Uint32 returns a pseudo-random number from the runtime's generator (its
// state per thread; wyrand on 64-bit platforms, xorshift64+ on others):
// ~2 ns, where math/rand/v2's Uint32 (ChaCha8) costs ~7. It is not an
// API: the runtime tolerates this link for the packages that made it and
// promises not to change its signature (go.dev/issue/67401), as for
// procPin, which package jstrace links the same way. Safe for concurrent
// use.
//
//go:linkname Uint32 runtime.cheaprand
func Uint32() uint32
