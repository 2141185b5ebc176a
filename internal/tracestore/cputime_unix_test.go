//go:build unix

package tracestore_test

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time the process used so far: on a shared machine,
// spans per CPU second is the per-core rate that wall time hides.
func cpuTime(b *testing.B) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
