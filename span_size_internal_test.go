package jstrace

import (
	"testing"
	"unsafe"
)

// TestSpanContextSizes: a span nobody needs is one cache line, a
// recording or traced one 80 bytes (its name and error are in its
// record: bench/README.md, Spans), and a Span sits
// at the same offset in both, as Span.context assumes.
// The sizes are those of 64-bit platforms: on 32-bit ones, pointers and
// interfaces are half the size, and only the offsets are checked.
func TestSpanContextSizes(t *testing.T) {
	if unsafe.Offsetof(leanContext{}.span) != unsafe.Offsetof(spanContext{}.span) {
		t.Error("a Span is not at the same offset in leanContext and spanContext")
	}
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("sizes checked on 64-bit platforms only")
	}
	if n := unsafe.Sizeof(leanContext{}); n != 64 {
		t.Errorf("leanContext is %d bytes, want 64", n)
	}
	if n := unsafe.Sizeof(spanContext{}); n != 80 {
		t.Errorf("spanContext is %d bytes, want 80", n)
	}
}
