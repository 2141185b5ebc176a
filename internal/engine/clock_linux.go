//go:build linux

package engine

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// threadClock reads the CPU time of the calling OS thread, which must be
// locked to its goroutine, from /proc/self/task/<tid>/schedstat: time on
// CPU in nanoseconds, however loaded the host is.
type threadClock struct {
	f   *os.File
	buf [96]byte
}

func newThreadClock() *threadClock {
	f, err := os.Open(fmt.Sprintf("/proc/self/task/%d/schedstat", syscall.Gettid()))
	if err != nil {
		return nil
	}
	c := &threadClock{f: f}
	if _, ok := c.now(); !ok {
		f.Close()
		return nil
	}
	return c
}

// now returns the thread's CPU time; false if it cannot be read.
func (c *threadClock) now() (time.Duration, bool) {
	n, err := c.f.ReadAt(c.buf[:], 0)
	if n == 0 && err != nil {
		return 0, false
	}
	field, _, _ := bytes.Cut(c.buf[:n], []byte{' '})
	ns, err := strconv.ParseInt(string(field), 10, 64)
	return time.Duration(ns), err == nil
}

func (c *threadClock) close() { c.f.Close() }
