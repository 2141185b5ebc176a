//go:build !linux

package cpuclock

import "time"

// No per-thread CPU clock here: callers measure wall time.

// Gettid returns 0: threads have no id here.
func Gettid() int { return 0 }

// Thread reports false: there is no clock to read.
func Thread(tid int) (time.Duration, bool) { return 0, false }

// Self reports false: there is no clock to read.
func Self() (time.Duration, bool) { return 0, false }
