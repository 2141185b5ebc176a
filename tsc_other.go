//go:build !(linux && amd64)

package jstrace

// Elsewhere timestamps read the monotonic clock (see clock.go).
func rdtsc() uint64 { return 0 }

func tscAvailable() bool { return false }
