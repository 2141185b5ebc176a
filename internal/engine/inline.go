package engine

import (
	"errors"
	"fmt"
	"runtime/metrics"
	"slices"
	"sync/atomic"
	"time"

	"github.com/jstrace-go/jstrace/internal/cheaprand"
	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/script"
)

// Handlers that end by construction (see the sandbox: no loop, no
// recursion, no call of a function value) may run on the goroutine that
// fires their probe, when the script runs nothing else and nothing is
// queued before them: an event that comes alone then costs the traced
// process no hand-off to the engine goroutine, nor a wake-up of its
// watchdog, which could stop nothing such a handler does. Everything else
// about them is as for queued handlers: one call at a time with the rest
// of the script (the engine's lock), panics recovered and counted, their
// time counted against the script's CPU budget.
//
// What they cannot bound is the time a native function takes on large
// data (fmt of a large map, a string compared with itself forty times in
// a row): calls that take longer than inlineBudget send their handler to
// the queue from then on; and a call that runs past HandlerTimeout, or
// allocates more than a call may, is stopped by whoever is awake to see
// it (CheckInline), as the watchdog stops a queued call, but without
// waking anything for calls that end in time: the goroutines whose
// Inline finds the engine's lock taken (in a busy service, at once), the
// engine goroutine waiting for the lock, the host's periodic check (the
// agent's governor, once a second).
//
// Most inline calls read no clock. A read of the monotonic clock costs
// tens of nanoseconds on a virtual machine (45 ns here), and the two a
// timed call takes were a sixth of a compiled handler's cost where its
// probe fires. One call in timeEvery (inlineTimeEvery), drawn at random so
// that a script cannot tell which, is timed: its time, times timeEvery,
// is what the calls cost the script's CPU budget, and it alone is held
// against inlineBudget, its slowness counting for timeEvery calls. A
// handler slow at every call is queued after some inlineSlow × timeEvery
// calls (48, at ~1 ms each) rather than inlineSlow, and the script's
// handlers once inlineSlowTimed timed slow calls at least (so that one
// stretched by the machine counts for no more than one) make the
// estimate pass inlineSlowTotal and its share. CheckInline numbers
// the calls instead of timing them: it stops a call seen running for
// longer than HandlerTimeout since a check first saw it, which takes one
// check more than timing it from its start (with the governor's alone,
// within HandlerTimeout and two seconds rather than one).

// inlineBudget is the longest a bounded handler may run on the caller's
// goroutine: one that ran longer inlineSlow calls in a row is queued from
// then on; and once inlineSlowTotal such calls of any handlers, however
// spaced, make more than one in inlineSlowShare of the traces handled
// inline, so are all (a script cannot make a share of the service's
// requests wait by spacing its slow calls). It is wall time, which the
// machine stretches now and then (a GC assist, a preemption, a thread
// descheduled: past 100 µs every few hundred calls of a 2-µs handler on a
// busy 2-vCPU machine, past 1 ms one in some 10,000), so it is set well
// above a handler's time, a handler is demoted only for a run of such
// calls, and the script for a share of them.
const (
	inlineBudget    = time.Millisecond
	inlineSlow      = 3
	inlineSlowTotal = 64
	inlineSlowShare = 1000
	inlineSlowTimed = 8
	inlineTimeEvery = 16
)

var _ scripthost.BoundedHost = (*Engine)(nil)

// OnBounded is On for a handler the sandbox proved to end in a bounded
// number of steps: Inline may run it on its caller's goroutine; and, if it
// borrows its trace (it keeps nothing of it), hand it one that is reused,
// holding only the fields loan.Keys names if it names them.
func (e *Engine) OnBounded(pattern string, fn func(*script.Trace), loan scripthost.Loan) error {
	e.callbacks++
	kind := &callKind{what: fmt.Sprintf("handler for %q", pattern), budget: e.limits.HandlerTimeout}
	if err := e.subscribe(handler{pattern: pattern, fn: fn, kind: kind, bounded: true, loan: loan}); err != nil {
		return err
	}
	e.bounded.Store(true)
	return nil
}

// Inline runs the handlers of a trace named name on the calling goroutine,
// now, if it can: the script runs nothing else at this moment, no trace
// waits for the handlers (Pending is 0, and so is *ahead, the caller's
// count of traces on their way to Dispatch), and every handler of that
// name is bounded (OnBounded) or native. Then mk makes the trace, with the
// engine's lock held, and Inline returns true once the handlers have run
// (or if mk returned nil: a record that does not load). loan tells mk
// what the handlers do with the trace: if every one borrows it
// (OnBounded), mk may return one it reuses, which no handler keeps past
// its call, rather than one of its own; and if every one names the fields
// it reads, loan.Keys has them all, and the trace need hold no other.
// Otherwise it returns false at once and the caller queues the trace,
// which keeps each goroutine's traces in the order it fired them.
//
// Inline is safe for concurrent use. It never waits: not for the lock,
// nor for the engine goroutine.
func (e *Engine) Inline(name string, ahead *atomic.Int64, mk func(loan scripthost.Loan) *script.Trace) bool {
	if !e.bounded.Load() || e.inlineOff.Load() || e.lockWanted.Load() || e.pending.Load() != 0 || ahead.Load() != 0 {
		return false
	}
	if !e.mu.TryLock() {
		e.CheckInline() // the holder may be an inline call that runs away
		return false
	}
	defer e.mu.Unlock()
	if e.dead || e.pending.Load() != 0 || ahead.Load() != 0 || e.killReason.Load() != nil || e.stopped() {
		return false
	}
	r := e.route(name)
	idx := r.idx
	if len(idx) == 0 {
		return false // the queue finds no handler either, and says nothing
	}
	for _, i := range idx {
		if h := &e.handlers[i]; h.kind != nil && !h.bounded {
			return false
		}
	}
	// Monotonic readings only (time.Since of a base reads one clock;
	// time.Now reads two): two a timed trace with one handler, none for
	// the others.
	e.inlineN++
	e.inlineCall.Store(e.inlineN)
	timed := e.timeEvery <= 1 || cheaprand.Uint32()%e.timeEvery == 0
	var start time.Duration
	if timed {
		start = time.Since(wallBase)
	}
	end := start
	var faults []string // reported once the call is over: Output may take its time
	if t := mk(r.loan); t != nil {
		last := start
		for _, i := range idx {
			h := e.handlers[i]
			if e.dead {
				break
			}
			if h.kind == nil {
				h.fn(t)
				continue
			}
			err := e.run(h.kind, false, nil, h.fn, t)
			if timed {
				now := time.Since(wallBase)
				e.judge(i, now-last)
				last, end = now, now
			}
			if err != nil && !errors.Is(err, errDetached) {
				faults = append(faults, fmt.Sprintf("%s: %v", h.kind.what, err))
			}
		}
		e.unpublished.traces++
	}
	e.inlineCall.Store(0)
	var took time.Duration
	if timed {
		if end == start { // no handler timed: a native one, or no trace
			end = time.Since(wallBase)
		}
		took = scaled(end-start, e.timeEvery)
	}
	if u := &e.unpublished; u.add(took) || faults != nil {
		e.publishInline()
	}
	for _, f := range faults {
		e.out.Fault(f)
	}
	return true
}

// scaled is what a timed call that took d counts for the timeEvery calls
// it stands for: up to inlineBudget, timeEvery times over; beyond, once.
// A call stretched by the machine (a preemption, a thread descheduled for
// milliseconds) would otherwise count sixteen times over against the
// budget; and one slow for its own sake is queued within a few dozen
// calls, then timed by the watchdog whole.
func scaled(d time.Duration, timeEvery uint32) time.Duration {
	n := time.Duration(timeEvery)
	if d <= inlineBudget {
		return d * n
	}
	return inlineBudget*n + d - inlineBudget
}

// judge holds a timed call of handler i, which took d, against
// inlineBudget; the caller holds mu. A slow call counts for timeEvery
// calls of the script's.
func (e *Engine) judge(i int, d time.Duration) {
	h := &e.handlers[i]
	if d <= inlineBudget {
		h.slow = 0
		return
	}
	if h.slow++; h.slow == inlineSlow {
		h.bounded = false
		e.demoted.Add(1)
	}
	e.slowCalls += int(e.timeEvery)
	e.slowTimed++
	if e.slowTimed >= inlineSlowTimed && e.slowCalls >= inlineSlowTotal && uint64(e.slowCalls)*inlineSlowShare > e.inlined.Load()+e.unpublished.traces {
		e.inlineOff.Store(true) // none inline from now on, whatever OnBounded comes
	}
}

// Inlined returns how many traces Inline handled, and how many handlers
// it sent to the queue for taking longer than inlineBudget. If script
// code runs at that moment, up to publishEvery of the latest traces may
// be missing.
func (e *Engine) Inlined() (traces, demoted uint64) {
	if e.mu.TryLock() {
		e.publishInline()
		e.mu.Unlock()
	}
	return e.inlined.Load(), e.demoted.Load()
}

// What Inline counts (the traces, and the time of the calls, which it
// adds to the engine's CPU and busy time) it publishes in bunches: each
// publication is four locked instructions on the pinning's counters and
// one on inlined's, against an inline call's total of four (the lock, and
// inlineSince set and cleared). A bunch is published once it holds
// publishEvery traces or publishTime of calls, and at the start of the
// engine goroutine's every stretch of work (stretch): the budgets, read
// once a window of a second, miss at most publishTime of it, and
// nothing once the engine has stopped.
const (
	publishEvery = 64
	publishTime  = 50 * time.Microsecond
)

// unpublished is what Inline counted and has not published yet; guarded
// by the engine's lock.
type unpublished struct {
	traces uint64
	calls  uint64
	time   time.Duration
}

// add counts the time of one inline call, and reports whether the bunch
// is due.
func (u *unpublished) add(d time.Duration) bool {
	u.calls++
	u.time += d
	return u.calls >= publishEvery || u.time >= publishTime
}

// publishInline adds what Inline counted to the engine's counters; the
// caller holds the engine's lock.
func (e *Engine) publishInline() {
	u := &e.unpublished
	if u.calls == 0 && u.traces == 0 {
		return
	}
	e.pins.account(u.time)
	e.inlined.Add(u.traces)
	*u = unpublished{}
}

// route returns the route of traces named name; the engine's lock is
// held.
func (e *Engine) route(name string) *route {
	if e.last != nil && name == e.lastName {
		return e.last
	}
	r := e.routeOf(name)
	e.last, e.lastName = r, name
	return r
}

// routeOf is route without its last-name cache.
func (e *Engine) routeOf(name string) *route {
	if r, ok := e.routes[name]; ok {
		return r
	}
	r := &route{loan: scripthost.Loan{Borrows: true, Keys: []string{}}}
	for i, h := range e.handlers {
		if !h.set.Match(name) {
			continue
		}
		r.idx = append(r.idx, i)
		switch l := &r.loan; {
		case !h.loan.Borrows:
			*l = scripthost.Loan{}
		case h.loan.Keys == nil:
			l.Keys = nil
		case l.Keys != nil:
			for _, k := range h.loan.Keys {
				if !slices.Contains(l.Keys, k) {
					l.Keys = append(l.Keys, k)
				}
			}
		}
	}
	if len(e.routes) > 4096 {
		clear(e.routes) // emitted names can be made up at run time
	}
	e.routes[name] = r
	return r
}

// A route is where the traces of a name go: the handlers (indexes into
// handlers) and what they all do with the trace (see Inline).
type route struct {
	idx  []int
	loan scripthost.Loan
}

// inlineWatch is how long an inline call runs before CheckInline looks at
// what it allocated: runtime/metrics costs a few microseconds to read.
const inlineWatch = 5 * time.Millisecond

// CheckInline stops the script (and returns why) if a handler running
// where its probe fired has run longer than Limits.HandlerTimeout (wall
// time: a service stopped meanwhile, by SIGSTOP or a paused VM, has its
// session detached), or allocated more than a call may (see maxCallAlloc)
// since a check first saw it run past inlineWatch; else it returns "". A
// host calls it periodically (the agent's governor); Inline calls it when
// it finds the lock taken. Safe for concurrent use, and never waits: one
// atomic load when no such call runs, and one checker at a time reads
// the heap.
func (e *Engine) CheckInline() string {
	call := e.inlineCall.Load()
	if call == 0 {
		return ""
	}
	if e.seenCall.Load() != call { // the first sight of this call
		if e.checkMu.TryLock() {
			e.seenAt.Store(int64(time.Since(wallBase)))
			e.seenCall.Store(call)
			e.checkMu.Unlock()
		}
		return ""
	}
	ran := time.Since(wallBase) - time.Duration(e.seenAt.Load()) // at least: the call began before
	if ran < inlineWatch || !e.checkMu.TryLock() {
		return ""
	}
	defer e.checkMu.Unlock()
	if e.seenCall.Load() != call {
		return "" // another checker saw the next call meanwhile
	}
	var reason string
	if b := e.limits.HandlerTimeout; b > 0 && ran > b {
		reason = fmt.Sprintf("a handler ran longer than %v where its probe fired", b)
	} else {
		heap := heapBytes()
		if e.inlineCall.Load() != call {
			return "" // that call ended meanwhile
		}
		if e.heapCall != call { // the first look at this call: its baseline
			e.heapCall, e.heapBase = call, heap
			return ""
		}
		if heap <= e.heapBase+maxCallAlloc {
			return ""
		}
		reason = fmt.Sprintf("one call of the script allocated more than %d MiB", maxCallAlloc>>20)
	}
	if e.inlineCall.Load() != call {
		return "" // that call ended meanwhile
	}
	e.kill(reason)
	return reason
}

// heapBytes returns the bytes of the heap's objects.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return metricValue(s[0])
}
