//go:build !amd64

package jstrace

import "unsafe"

// prefetchw is a hint; elsewhere than on amd64 it is not given.
func prefetchw(p unsafe.Pointer, n uintptr) {}
