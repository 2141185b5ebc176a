//go:build race

package jstrace

import "unsafe"

// hidden is hide, never inlined under the race detector, whose
// instrumentation would put calls in its caller between the conversion
// and the pointer's uses (see noescape).
//
//go:noinline
func hidden(p unsafe.Pointer) unsafe.Pointer { return hide(p) }
