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
// while no thread of the process is bound to a thrown Switch. A killed
// script's thread is bound only until its stretch unwinds, so that cost
// comes back at once; only while a thread stays bound (native code that
// neither returns nor calls back) do the other scripts' callbacks pay a
// gettid system call and a lock-free scan of the halted threads, never a
// lock. On systems without gettid (not Linux) Check never panics.
package halt

import (
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/jstrace-go/jstrace/internal/cpuclock"
)

// gettid is the calling thread's id (0 where threads have none).
var gettid = cpuclock.Gettid

// Halted is the panic value of Check: the script was stopped.
type Halted struct{}

func (Halted) Error() string { return "the script was stopped" }

// A Switch belongs to one interpreter. Its methods are safe for concurrent
// use; Bind and Unbind are called by the goroutine running the script, from
// the thread it is locked to.
type Switch struct {
	thrown atomic.Bool
}

var (
	mu      sync.Mutex
	threads = map[int]*Switch{} // bound threads; owned by mu
	// halted lists the threads bound to a thrown Switch, for Check to
	// read without a lock; nil when there are none. Replaced, never
	// modified, under mu.
	halted atomic.Pointer[[]int]
)

// update recomputes halted. Called with mu held.
func update() {
	var tids []int
	for tid, s := range threads {
		if s.thrown.Load() {
			tids = append(tids, tid)
		}
	}
	if len(tids) == 0 {
		halted.Store(nil)
		return
	}
	slices.Sort(tids)
	halted.Store(&tids)
}

// Bind records that the calling goroutine, locked to OS thread tid, runs
// the script of s until Unbind. A tid of 0 (unknown) is ignored.
func (s *Switch) Bind(tid int) {
	if s == nil || tid <= 0 {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	old := threads[tid]
	threads[tid] = s
	if s.thrown.Load() || (old != nil && old.thrown.Load()) {
		update()
	}
}

// Unbind ends what Bind began.
func (s *Switch) Unbind(tid int) {
	if s == nil || tid <= 0 {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	if threads[tid] == s {
		delete(threads, tid)
		if s.thrown.Load() {
			update()
		}
	}
}

// Throw makes every later Check on a thread bound to s panic. It is
// permanent: the interpreter is dead.
func (s *Switch) Throw() {
	mu.Lock()
	defer mu.Unlock()
	if !s.thrown.Swap(true) {
		update()
	}
}

// Thrown reports whether Throw was called.
func (s *Switch) Thrown() bool { return s.thrown.Load() }

// Release says that no code of s's interpreter runs any more (its engine
// goroutine returned): any thread still bound to it is unbound.
// Idempotent.
func (s *Switch) Release() {
	mu.Lock()
	defer mu.Unlock()
	n := len(threads)
	maps.DeleteFunc(threads, func(_ int, t *Switch) bool { return t == s })
	if len(threads) != n {
		update()
	}
}

// Check panics with Halted if the calling thread runs the script of a
// thrown Switch. Call it at every entry from native code into script code.
func Check() {
	if halted.Load() == nil {
		return
	}
	slow()
}

func slow() {
	tids := halted.Load()
	if tids == nil {
		return
	}
	if _, stop := slices.BinarySearch(*tids, gettid()); stop {
		panic(Halted{})
	}
}

// Live returns the number of threads bound to a thrown Switch, on which
// Check panics and for whose sake every Check leaves its fast path; for
// tests and diagnostics.
func Live() int {
	if tids := halted.Load(); tids != nil {
		return len(*tids)
	}
	return 0
}
