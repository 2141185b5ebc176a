package jstrace

import "unsafe"

// prefetchw asks the CPU for the cache lines of [p, p+n), to be written:
// they then move from another core's cache while this one does other
// work, instead of stalling the next locked instruction, which waits for
// every earlier store (see pooledSpanData). It is a hint: it never
// faults, and does nothing on CPUs without it.
//
//go:noescape
func prefetchw(p unsafe.Pointer, n uintptr)
