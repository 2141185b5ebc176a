package jstrace

import "unsafe"

// noescape hides a slice from escape analysis. It is how Trace and Emit
// stay free of allocations:
//
//   - kv: without it, callers would box every non-constant value and build
//     the variadic slice on the heap on every call, even while probes are
//     disabled;
//
//   - the encoding buffer: the encoder is recursive (nested containers), and
//     escape analysis gives up on recursion, so an event's stack buffer
//     would move to the heap;
//
//   - the fields EmitContext and Channels put in front of the caller's
//     ("request_id", "duration", "error"…): they are joined with kv in a
//     buffer on the stack (see emitContext), never on the heap, since a
//     heap slice holding kv's elements would point into a stack that may
//     move.
//
// This is sound because nothing below Trace, Emit, EmitContext, the
// Channel methods and the Span methods (whose tags and logs are copied, see
// keepable) retains these slices, their elements, or anything they
// point to: values are encoded into the buffer, and the buffer is copied
// into the session buffers, before the call returns (see encode.go and
// ring.go); function subscribers (SubscribeFunc, On, Debug) get them for
// the duration of the call only, and copy what they keep (Debug formats
// its line; On reports a panic value as text, formatted before the probe
// returns). Only an Event's context, name and time may outlive the call:
// the context is on the heap (its methods are called through an interface,
// so it escapes). Keep it that way.
func noescape[T any](s []T) []T {
	u := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	return unsafe.Slice(*(**T)(unsafe.Pointer(&u)), cap(s))[:len(s)]
}
