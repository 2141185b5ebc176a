package jstrace

import (
	"testing"
	"unsafe"
)

// TestSpanContextLayouts: a Span is at the same offset in every kind of
// context, as Span.head assumes; a span nobody needs
// takes 32 bytes (an unsampled root without a request ID) or 48, a
// recording or traced one 80 (its name and error are in its record):
// spankinds.go; bench/README.md, Spans. The sizes are those of 64-bit
// platforms: on 32-bit ones, pointers and interfaces are half the size,
// and only the offsets are checked.
func TestSpanContextLayouts(t *testing.T) {
	for name, off := range map[string]uintptr{
		"rootContext":     unsafe.Offsetof(rootContext{}.spanHead),
		"leanRootContext": unsafe.Offsetof(leanRootContext{}.spanHead),
		"leanContext":     unsafe.Offsetof(leanContext{}.spanHead),
		"remoteContext":   unsafe.Offsetof(remoteContext{}.spanHead),
		"spanContext":     unsafe.Offsetof(spanContext{}.spanHead),
	} {
		if off != 0 {
			t.Errorf("%s does not begin with its spanHead", name)
		}
	}
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("sizes checked on 64-bit platforms only")
	}
	for name, tc := range map[string]struct{ got, want uintptr }{
		"Span":            {unsafe.Sizeof(Span{}), 8},
		"rootContext":     {unsafe.Sizeof(rootContext{}), 32},
		"leanRootContext": {unsafe.Sizeof(leanRootContext{}), 48},
		"leanContext":     {unsafe.Sizeof(leanContext{}), 48},
		"remoteContext":   {unsafe.Sizeof(remoteContext{}), 56},
		"spanContext":     {unsafe.Sizeof(spanContext{}), 80},
	} {
		if tc.got != tc.want {
			t.Errorf("%s is %d bytes, want %d", name, tc.got, tc.want)
		}
	}
}
