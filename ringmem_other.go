//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package jstrace

import "sync/atomic"

// ringsMapped stays 0 here (see ringmem_mmap.go).
var ringsMapped atomic.Int64

// ringMemory returns n zero bytes for a session buffer, from the heap on
// this system (see ringmem_mmap.go).
func ringMemory(n int) (b []byte, free func()) { return make([]byte, n), nil }
