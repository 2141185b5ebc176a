package jstrace

import (
	"testing"
	"unsafe"
)

// TestSpanContextSizes: a span nobody needs is one cache line, a
// recording or traced one two (bench/README.md, Spans), and a Span sits
// at the same offset in both, as Span.context assumes.
func TestSpanContextSizes(t *testing.T) {
	if n := unsafe.Sizeof(leanContext{}); n != 64 {
		t.Errorf("leanContext is %d bytes, want 64", n)
	}
	if n := unsafe.Sizeof(spanContext{}); n != 128 {
		t.Errorf("spanContext is %d bytes, want 128", n)
	}
	if unsafe.Offsetof(leanContext{}.span) != unsafe.Offsetof(spanContext{}.span) {
		t.Error("a Span is not at the same offset in leanContext and spanContext")
	}
}
