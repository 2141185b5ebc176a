package jstrace

import (
	"sync/atomic"
	"time"
)

// Event timestamps cost one read of the monotonic clock instead of
// time.Now's two (wall and monotonic): on virtual machines each read can
// cost tens of nanoseconds. The wall time is taken from a base refreshed
// every second of monotonic time, so wall-clock steps show up within a
// second (a step backwards can make timestamps go back once), and after a
// system suspend, during which the monotonic clock stands still, within a
// second of the resume.
type clockBase struct {
	wall int64     // Unix nanoseconds at mono
	mono time.Time // with its monotonic reading
}

var clock atomic.Pointer[clockBase]

func init() { rebase() }

// now returns the current time in Unix nanoseconds.
func now() int64 {
	b := clock.Load()
	d := time.Since(b.mono)
	if d < 0 || d >= time.Second {
		return rebase()
	}
	return b.wall + int64(d)
}

func rebase() int64 {
	t := time.Now()
	clock.Store(&clockBase{wall: t.UnixNano(), mono: t})
	return t.UnixNano()
}
