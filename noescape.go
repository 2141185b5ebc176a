package jstrace

import "unsafe"

// noescape hides kv from escape analysis so that callers of Trace and Emit can
// keep their variadic slice and the boxed values on the stack: without it,
// every call with a non-constant value would allocate even while probes are
// disabled.
//
// This is sound because nothing below Trace and Emit retains kv, its
// elements, or anything they point to: values are encoded into a byte buffer
// before the call returns (see encode.go). Keep it that way.
func noescape(kv []any) []any {
	u := uintptr(unsafe.Pointer(unsafe.SliceData(kv)))
	return unsafe.Slice(*(**any)(unsafe.Pointer(&u)), len(kv))
}
