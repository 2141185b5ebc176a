//go:build linux

package cpuclock

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
		tid := Gettid()
		tids <- tid
		<-tids // the other side read the clock
		// Spin for 20 ms of this thread's CPU time (however long that
		// takes on a loaded machine), or give up after 5 s.
		start, _ := Thread(tid)
		for wall := time.Now(); time.Since(wall) < 5*time.Second; {
			if now, _ := Thread(tid); now-start >= 20*time.Millisecond {
				break
			}
		}
		tids <- 0
		<-release
	}()
	tid := <-tids
	before, ok := Thread(tid)
	if !ok {
		t.Fatal("cannot read the thread CPU clock")
	}
	tids <- 0
	<-tids // it spun
	spun, _ := Thread(tid)
	time.Sleep(30 * time.Millisecond) // it waits
	waited, _ := Thread(tid)
	close(release)
	if spun-before < 20*time.Millisecond {
		t.Errorf("spinning for 20 ms of CPU counted %v from another thread", spun-before)
	}
	if waited-spun > 5*time.Millisecond {
		t.Errorf("sleeping 30 ms counted %v", waited-spun)
	}
	if _, ok := Thread(0); ok {
		t.Error("tid 0 read")
	}
}

// Self counts the calling thread's CPU time, not the time it sleeps.
func TestSelf(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before, ok := Self()
	if !ok {
		t.Fatal("cannot read the calling thread's CPU clock")
	}
	time.Sleep(30 * time.Millisecond)
	slept, _ := Self()
	for wall := time.Now(); time.Since(wall) < 5*time.Second; {
		if now, _ := Self(); now-slept >= 20*time.Millisecond {
			break
		}
	}
	spun, _ := Self()
	if slept-before > 5*time.Millisecond {
		t.Errorf("sleeping 30 ms counted %v", slept-before)
	}
	if spun-slept < 20*time.Millisecond {
		t.Errorf("spinning for 20 ms of CPU counted %v", spun-slept)
	}
	SetOff(true)
	defer SetOff(false)
	if _, ok := Self(); ok {
		t.Error("read with the clock off")
	}
}
