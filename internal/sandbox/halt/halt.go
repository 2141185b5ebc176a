// Package halt makes native code that calls back into a stopped script
// unwind instead of looping on.
//
// Killing a yaegi interpreter stops interpreted code at its next step, but a
// Go function the script called (sort.Sort, heap.Init) goes on: every call
// it makes back into the script returns zero values at once, so a loop whose
// bound came from the script (a Len of 1<<62) spins for ever on the engine's
// thread. Every entry from native code into script code therefore calls
// Check, which panics with Halted on the thread of an interpreter whose
// Switch was thrown; the panic unwinds the native caller and is recovered
// where the engine called the script.
//
// Entries are recognised by OS thread: the engine runs script code in
// stretches locked to a thread (runtime.LockOSThread) and binds the thread
// to its interpreter's Switch for the stretch. Check costs one atomic load
// while no thrown Switch is live in the process, and a gettid system call
// and a map look-up otherwise. On systems without gettid (not Linux) Check
// never panics.
package halt

import (
	"sync"
	"sync/atomic"
)

// Halted is the panic value of Check: the script was stopped.
type Halted struct{}

func (Halted) Error() string { return "the script was stopped" }

// A Switch belongs to one interpreter. Its methods are safe for concurrent
// use; Bind and Unbind are called by the goroutine running the script, from
// the thread it is locked to.
type Switch struct {
	// Owned by mu.
	thrown, released bool
}

var (
	live    atomic.Int64 // thrown Switches not yet released
	mu      sync.Mutex
	threads = map[int]*Switch{} // bound threads
)

// Bind records that the calling goroutine, locked to OS thread tid, runs
// the script of s until Unbind. A tid of 0 (unknown) is ignored.
func (s *Switch) Bind(tid int) {
	if s == nil || tid <= 0 {
		return
	}
	mu.Lock()
	threads[tid] = s
	mu.Unlock()
}

// Unbind ends what Bind began.
func (s *Switch) Unbind(tid int) {
	if s == nil || tid <= 0 {
		return
	}
	mu.Lock()
	if threads[tid] == s {
		delete(threads, tid)
	}
	mu.Unlock()
}

// Throw makes every later Check on a thread bound to s panic. It is
// permanent: the interpreter is dead.
func (s *Switch) Throw() {
	mu.Lock()
	defer mu.Unlock()
	if !s.thrown && !s.released {
		s.thrown = true
		live.Add(1)
	}
}

// Thrown reports whether Throw was called.
func (s *Switch) Thrown() bool {
	mu.Lock()
	defer mu.Unlock()
	return s.thrown
}

// Release says that no code of s's interpreter runs any more (its engine
// goroutine returned): Check goes back to its fast path once every thrown
// Switch is released. Idempotent.
func (s *Switch) Release() {
	mu.Lock()
	defer mu.Unlock()
	if s.thrown && !s.released {
		live.Add(-1)
	}
	s.released = true
}

// Check panics with Halted if the calling thread runs the script of a
// thrown Switch. Call it at every entry from native code into script code.
func Check() {
	if live.Load() == 0 {
		return
	}
	slow()
}

func slow() {
	tid := gettid()
	if tid <= 0 {
		return
	}
	mu.Lock()
	s := threads[tid]
	stop := s != nil && s.thrown
	mu.Unlock()
	if stop {
		panic(Halted{})
	}
}

// Live returns the number of thrown Switches not yet released, for tests
// and diagnostics.
func Live() int { return int(live.Load()) }
