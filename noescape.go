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
//
// The pointer is laundered through hide, never inlined: its caller gets
// the pointer back from a call, as a pointer, which it can only keep as a
// pointer. A goroutine's stack may move at any call, and the stack copier
// adjusts pointers into it but not integers; inlined, the compiler may
// keep the laundered address as the integer it was stored as, across a
// call: under -race checkptr's calls moved the stack between the two (CI:
// "found bad pointer in Go heap"), and in a normal build Span.Log kept it
// across its lock (a review's test read the fields from the freed stack).
func noescape[T any](s []T) []T {
	return unsafe.Slice(launder(unsafe.SliceData(s)), cap(s))[:len(s)]
}

// launder returns p, hidden from escape analysis (see noescape).
func launder[T any](p *T) *T { return (*T)(hide(unsafe.Pointer(p))) }

// hide returns p through a pointer-typed variable written as an integer.
// It must not be inlined (see noescape).
//
//go:noinline
func hide(p unsafe.Pointer) unsafe.Pointer {
	var q unsafe.Pointer
	dst := (*uintptr)(unsafe.Pointer(&q))
	*dst = uintptr(p)
	return q
}
