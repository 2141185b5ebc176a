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
		tids <- gettid()
		for start := time.Now(); time.Since(start) < 30*time.Millisecond; {
		}
		tids <- 0
		<-release
	}()
	tid := <-tids
	before, ok := threadCPU(tid)
	if !ok {
		t.Fatal("cannot read the thread CPU clock")
	}
	<-tids // it spun for 30 ms
	spun, _ := threadCPU(tid)
	time.Sleep(30 * time.Millisecond) // it waits
	waited, _ := threadCPU(tid)
	close(release)
	if spun-before < 10*time.Millisecond {
		t.Errorf("spinning 30 ms counted %v", spun-before)
	}
	if waited-spun > 5*time.Millisecond {
		t.Errorf("sleeping 30 ms counted %v", waited-spun)
	}
	if _, ok := threadCPU(0); ok {
		t.Error("tid 0 read")
	}
}
