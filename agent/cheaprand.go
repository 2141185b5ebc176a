package agent

import _ "unsafe" // go:linkname

// cheaprand returns a pseudo-random number from the runtime's generator
// for its own sampling decisions (its state per thread; wyrand on 64-bit
// platforms, xorshift64+ on others): ~2 ns, where math/rand/v2's Uint32
// (ChaCha8) costs ~7, on the probe's path for every aggregated event. It
// is not an API: the runtime tolerates this link for the packages that
// made it and promises not to change its signature (go.dev/issue/67401),
// as for procPin, which package jstrace links the same way.
//
//go:linkname cheaprand runtime.cheaprand
func cheaprand() uint32
