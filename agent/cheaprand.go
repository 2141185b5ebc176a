package agent

import _ "unsafe" // go:linkname

// cheaprand returns a pseudo-random number from the runtime's generator
// for its own sampling decisions (wyrand, its state per thread): a few
// instructions, where math/rand/v2's Uint32 (ChaCha8) costs ~6 ns, on the
// probe's path for every aggregated event. The runtime keeps it for the
// packages that link to it.
//
//go:linkname cheaprand runtime.cheaprand
func cheaprand() uint32
