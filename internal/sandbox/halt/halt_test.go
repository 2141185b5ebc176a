package halt

import (
	"runtime"
	"testing"
)

// onThread runs f on a goroutine locked to its own thread, bound to s,
// and returns what f panicked with.
func onThread(s *Switch, f func()) (got any) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tid := gettid()
		s.Bind(tid)
		defer s.Unbind(tid)
		defer func() { got = recover() }()
		f()
	}()
	<-done
	return got
}

func TestCheck(t *testing.T) {
	if gettid() == 0 {
		t.Skip("no thread ids here: Check never panics")
	}
	a, b := &Switch{}, &Switch{}
	if got := onThread(a, Check); got != nil {
		t.Fatalf("Check panicked before any Throw: %v", got)
	}
	a.Throw()
	if Live() != 1 || !a.Thrown() {
		t.Fatalf("Live %d, Thrown %v after one Throw", Live(), a.Thrown())
	}
	if _, ok := onThread(a, Check).(Halted); !ok {
		t.Fatal("Check did not panic on a thread bound to a thrown switch")
	}
	if got := onThread(b, Check); got != nil {
		t.Fatalf("Check panicked on another interpreter's thread: %v", got)
	}
	if got := onThread(nil, Check); got != nil { // an unbound thread: the host's own code
		t.Fatalf("Check panicked on an unbound thread: %v", got)
	}
	a.Release()
	a.Release()
	a.Throw() // after Release: no effect on the count
	if Live() != 0 {
		t.Fatalf("Live %d after Release", Live())
	}
}

// The fast path is one atomic load.
func BenchmarkCheck(b *testing.B) {
	for b.Loop() {
		Check()
	}
}
