package engine

import (
	"fmt"
	"runtime/metrics"
	"time"
)

// Limits bound what a script instance may do. A zero field means no limit;
// the agent sets them all, the CLI none (Local runs on the user's own
// machine).
type Limits struct {
	// HandlerTimeout bounds one call into the script: a handler, an Every
	// callback, a cleanup function.
	HandlerTimeout time.Duration
	// SetupTimeout bounds loading the script and running its entry point.
	SetupTimeout time.Duration
	// MaxCPU bounds the share of one CPU the script's calls may use,
	// measured over one-second windows: exceeded cpuWindows windows in a
	// row, the script is stopped.
	MaxCPU float64
	// MaxFaults is how many panics of script code stop the script.
	MaxFaults int
}

// cpuWindows is how many one-second windows over MaxCPU stop a script.
const cpuWindows = 3

// Memory a single call may take before the watchdog stops the script, read
// from the runtime's metrics (process-wide, but during one call it is the
// script's doing): growth of goroutine stacks, which runaway interpreted
// recursion pushes towards Go's fatal 1 GB limit, and of the heap.
const (
	maxStacks    = 256 << 20
	maxCallAlloc = 1 << 30
)

// A call into the script: what it is (for messages) and its time budget.
type callKind struct {
	what   string
	budget time.Duration
}

// Kill stops the script for good, for the given reason: the code running
// now stops at its next step (native code it called, sort.Sort say, unwinds
// at its next call back into the script: see package halt), nothing of the
// script runs afterwards, and
// Output.Detach reports the reason (once, from the engine goroutine, when
// the current call returns). It is how a host enforces limits of its own
// (the agent's output rates). The first reason wins. Safe for concurrent
// use.
func (e *Engine) Kill(reason string) { e.kill(reason) }

// kill is Kill: called from the watchdog while a call runs too long, and
// from the engine goroutine when a limit is reached between calls.
func (e *Engine) kill(reason string) {
	if !e.killReason.CompareAndSwap(nil, &reason) {
		return
	}
	if x := e.interp.Load(); x != nil {
		x.Kill()
	} else {
		e.pins.halt.Throw() // released: what runs is compiled code
	}
}

// watch samples the engine goroutine every tick. It measures CPU time when
// a thread CPU clock is available (Linux), so that a loaded host that
// deschedules the engine is not mistaken for a runaway script, and wall
// time otherwise. A call seen running for longer than its budget is killed;
// the CPU time of the engine's stretches of work over a one-second window
// gives its share. The clock is read only while a call is running, and
// calls cost the hot path only two atomic increments. After a tick that
// finds the engine idle (no stretch running or ended since the last one),
// the watchdog sleeps until the next stretch begins: a session whose
// script waits for a once-a-second callback, or reduces everything in
// Aggregations, does not wake the traced process forty times a second.
// Woken, it waits for that stretch's end or a tick, whichever comes first,
// and sleeps on if the stretch was short: handlers that run once in a
// while (events that come one at a time) wake the process no more than
// their events do. While stretches keep coming it ticks.
func (e *Engine) watch(l Limits) {
	tick := 25 * time.Millisecond
	if l.HandlerTimeout > 0 {
		tick = min(tick, max(l.HandlerTimeout/4, time.Millisecond))
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	var (
		lastCall     uint64
		lastTid      int
		callCPU      time.Duration // the thread's CPU time when the current call was first seen
		callCPUok    bool          // callCPU was read
		inCall       time.Duration // what the current call has used since
		windowStart  = time.Now()
		windowCPU    = e.pins.total()
		lastTotal    = windowCPU
		windowWall   = e.pins.busy() // wall time in stretches: the share without a clock
		overCPU      int
		heapAtCall   uint64
		stacksAtCall uint64
		mem          = []metrics.Sample{{Name: "/memory/classes/heap/stacks:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	)
	// window ends the one-second window of the CPU share once it has
	// passed, and stops a script over MaxCPU for cpuWindows in a row.
	window := func() {
		span := time.Since(windowStart)
		if span < time.Second {
			return
		}
		// Without a clock, the wall time of the stretches: sampling at
		// ticks would miss the short stretches the watchdog sleeps
		// through (see below), however many there are.
		wall := e.pins.busy()
		share := float64(wall-windowWall) / float64(span)
		windowWall = wall
		if used := e.pins.total(); e.pins.clockOK.Load() {
			share = float64(used-windowCPU) / float64(span)
			windowCPU = used
		}
		windowStart = time.Now()
		if l.MaxCPU <= 0 || share <= l.MaxCPU {
			overCPU = 0
		} else if overCPU++; overCPU >= cpuWindows {
			e.kill(fmt.Sprintf("the script used %.0f%% of a CPU for %ds; the limit is %.0f%%", 100*share, cpuWindows, 100*l.MaxCPU))
		}
	}
	ticked := false // t fired while the watchdog waited for a stretch to end
	for {
		if !ticked {
			select {
			case <-e.exited:
				return
			case <-t.C:
			}
		}
		ticked = false
		e.watchTicks.Add(1)
		c := e.calls.Load()
		total := e.pins.total()
		// No stretch runs: without a clock tid stays 0, and a stretch can go a
		// tick without entering the script (traces no handler wants).
		idle := c&1 == 0 && c == lastCall && total == lastTotal && e.pins.tid.Load() == 0 && e.pins.wallStart.Load() == 0
		lastTotal = total
		if c&1 == 1 { // inside a call
			tid, now, ok := e.pins.current()
			if e.calls.Load() != c || int(e.pins.tid.Load()) != tid {
				continue // the call ended meanwhile: the reading may belong to the next stretch
			}
			switch {
			case c != lastCall || tid != lastTid || (ok && !callCPUok): // first seen (or first read): it started during the last tick
				callCPU, callCPUok, inCall, lastTid = now, ok, 0, tid
			case ok:
				inCall = now - callCPU
			default: // no clock (or a failed read): count the tick
				inCall += tick
			}
			metrics.Read(mem)
			stacks, heap := metricValue(mem[0]), metricValue(mem[1])
			if c != lastCall {
				heapAtCall, stacksAtCall = heap, stacks
			}
			k := e.current.Load()
			switch {
			case stacks > stacksAtCall+maxStacks:
				e.kill(fmt.Sprintf("the script's recursion grew the stack past %d MiB", maxStacks>>20))
			case heap > heapAtCall+maxCallAlloc:
				e.kill(fmt.Sprintf("one call of the script allocated more than %d MiB", maxCallAlloc>>20))
			case k != nil && k.budget > 0 && inCall >= k.budget:
				e.kill(fmt.Sprintf("%s ran longer than %v", k.what, k.budget))
			}
		}
		lastCall = c
		if idle {
			// Sleep until a stretch begins. The window goes on meanwhile:
			// its share is then averaged over the idle time too. Most
			// stretches (a pass over a few traces) end within
			// microseconds: one that has ended by the time the watchdog
			// looks, or ends before its first tick, lets it sleep on
			// without ticking again, so that events that come one at a
			// time cost no wake-up of the process of their own. A
			// stretch that began meanwhile has signalled wake again: none
			// goes unwatched.
			t.Stop()
		sleep:
			for {
				select {
				case <-e.exited:
					return
				case <-e.pins.wake:
				}
				select {
				case <-e.pins.ended: // a stale signal, of an earlier stretch
				default:
				}
				if e.pins.wallStart.Load() != 0 {
					// A stretch runs: wait for its end, or watch it.
					t.Reset(tick)
					select {
					case <-e.exited:
						return
					case <-t.C:
						ticked = true
						break sleep
					case <-e.pins.ended:
						if e.pins.wallStart.Load() != 0 {
							break sleep // the next one runs
						}
						t.Stop()
					}
				}
				lastCall, lastTotal = e.calls.Load(), e.pins.total()
				window()
			}
			if !ticked {
				t.Reset(tick)
			}
		}
		window()
	}
}

func metricValue(s metrics.Sample) uint64 {
	if s.Value.Kind() == metrics.KindUint64 {
		return s.Value.Uint64()
	}
	return 0
}
