//go:build !linux

package engine

import "time"

// No per-thread CPU clock here: the watchdog measures wall time.
func gettid() int                             { return 0 }
func threadCPU(tid int) (time.Duration, bool) { return 0, false }
