//go:build !linux

package engine

import "time"

// threadClock is not available here: the watchdog measures wall time.
type threadClock struct{}

func newThreadClock() *threadClock                { return nil }
func (c *threadClock) now() (time.Duration, bool) { return 0, false }
func (c *threadClock) close()                     {}
