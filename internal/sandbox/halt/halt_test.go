package halt

import (
	"runtime"
	"testing"
	"time"
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
	if Live() != 0 || !a.Thrown() {
		t.Fatalf("Live %d, Thrown %v after one Throw, no thread bound", Live(), a.Thrown())
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
	if Live() != 0 {
		t.Fatalf("Live %d after Release", Live())
	}
}

// A thread that stays bound to a thrown switch (native code that neither
// returns nor calls back) keeps Check off its fast path, but the others'
// Checks take no lock: they go on while the package's lock is held (a
// Bind or Throw elsewhere). And once that thread unbinds, without Release,
// Check is back to one load.
func TestStuckThreadDoesNotLockOthers(t *testing.T) {
	if gettid() == 0 {
		t.Skip("no thread ids here: Check never panics")
	}
	stuck := &Switch{}
	bound, unbind, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tid := gettid()
		stuck.Bind(tid)
		stuck.Throw()
		close(bound)
		<-unbind
		stuck.Unbind(tid)
	}()
	<-bound
	if Live() != 1 {
		t.Fatalf("Live %d with one thread bound to a thrown switch", Live())
	}
	mu.Lock()
	checked := make(chan any)
	go func() { checked <- onThread(nil, Check) }() // nil: binding would take the lock
	select {
	case got := <-checked:
		if got != nil {
			t.Errorf("Check panicked on another thread: %v", got)
		}
	case <-time.After(5 * time.Second):
		mu.Unlock()
		<-checked
		t.Fatal("Check waited for the package's lock")
	}
	mu.Unlock()
	close(unbind)
	<-done
	if Live() != 0 {
		t.Fatalf("Live %d after the stuck thread unbound", Live())
	}
}

// The fast path is one atomic load.
func BenchmarkCheck(b *testing.B) {
	for b.Loop() {
		Check()
	}
}

// With a thread stuck bound to a thrown switch, the other threads' Check
// costs a gettid and a lock-free search.
func BenchmarkCheckWithAStuckThread(b *testing.B) {
	stuck, tid := &Switch{}, 1<<30 // no real thread: bound for the count only
	stuck.Bind(tid)
	stuck.Throw()
	defer stuck.Unbind(tid)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			Check()
		}
	})
}
