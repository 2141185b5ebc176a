//go:build race

package jstrace

import "unsafe"

// launder returns p, hidden from escape analysis (see noescape); never
// inlined under the race detector, whose instrumentation would put calls
// in its caller between the conversion and the pointer's uses.
//
//go:noinline
func launder[T any](p *T) *T {
	var q *T
	dst := (*uintptr)(unsafe.Pointer(&q))
	*dst = uintptr(unsafe.Pointer(p)) // no call between the conversion and the store
	return q
}
