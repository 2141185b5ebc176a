//go:build linux

package engine

import (
	"runtime"
	"testing"
	"time"
)

// The thread CPU clock counts CPU time, not wall time, and another thread
// (the watchdog's) can read it.
func TestThreadCPU(t *testing.T) {
	tids := make(chan int)
	release := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tid := gettid()
		tids <- tid
		<-tids // the other side read the clock
		// Spin for 20 ms of this thread's CPU time (however long that
		// takes on a loaded machine), or give up after 5 s.
		start, _ := threadCPU(tid)
		for wall := time.Now(); time.Since(wall) < 5*time.Second; {
			if now, _ := threadCPU(tid); now-start >= 20*time.Millisecond {
				break
			}
		}
		tids <- 0
		<-release
	}()
	tid := <-tids
	before, ok := threadCPU(tid)
	if !ok {
		t.Fatal("cannot read the thread CPU clock")
	}
	tids <- 0
	<-tids // it spun
	spun, _ := threadCPU(tid)
	time.Sleep(30 * time.Millisecond) // it waits
	waited, _ := threadCPU(tid)
	close(release)
	if spun-before < 20*time.Millisecond {
		t.Errorf("spinning for 20 ms of CPU counted %v from another thread", spun-before)
	}
	if waited-spun > 5*time.Millisecond {
		t.Errorf("sleeping 30 ms counted %v", waited-spun)
	}
	if _, ok := threadCPU(0); ok {
		t.Error("tid 0 read")
	}
}
