package jstrace

import "unsafe"

// noescape hides a slice from escape analysis. It is how Trace and Emit
// stay free of allocations:
//
//   - kv: without it, callers would box every non-constant value and build
//     the variadic slice on the heap on every call, even while probes are
//     disabled;
//   - the encoding buffer: the encoder is recursive (nested containers), and
//     escape analysis gives up on recursion, so an event's stack buffer
//     would move to the heap.
//
// This is sound because nothing below Trace and Emit retains either slice,
// their elements, or anything they point to: values are encoded into the
// buffer, and the buffer is copied into the session buffers, before the
// call returns (see encode.go and ring.go). Keep it that way.
func noescape[T any](s []T) []T {
	u := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	return unsafe.Slice(*(**T)(unsafe.Pointer(&u)), cap(s))[:len(s)]
}
