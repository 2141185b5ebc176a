package jstrace

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// Event timestamps cost one clock read, not time.Now's two (wall and
// monotonic): on virtual machines a read of the monotonic clock costs
// tens of nanoseconds (45 ns on the machine of bench/README.md). Where
// the CPU's time-stamp counter is what the kernel itself keeps time with
// (see tsc_linux_amd64.go), a read is that counter instead (20 ns there),
// scaled by a frequency measured against the monotonic clock every
// second and dropped for good if it ever disagrees with it.
//
// The wall time comes from a base refreshed every second, so wall-clock
// steps show up within a second (a step backwards can make timestamps go
// back once), and after a system suspend, during which the monotonic
// clock stands still, within a second of the resume.
type clockBase struct {
	wall int64     // Unix nanoseconds at mono
	mono time.Time // with its monotonic reading

	// The counter's reading at mono, and its scale: nanoseconds =
	// ticks·mult >> 32. mult is 0 until the counter's frequency is
	// measured, and for good once it is distrusted.
	tsc      uint64
	mult     uint64
	maxTicks uint64 // a second of ticks: rebase past it
}

var (
	clock  atomic.Pointer[clockBase]
	tscOff atomic.Bool // the counter disagreed with the clock: never again
)

// maxBracket bounds, in ticks, the two counter reads around a clock read
// in rebase: wider (the goroutine was preempted between them), the pair
// is not a measure (50 µs at 2 GHz).
const maxBracket = 100_000

func init() { rebase() }

// now returns the current time in Unix nanoseconds.
func now() int64 {
	b := clock.Load()
	if b.mult != 0 {
		if d := rdtsc() - b.tsc; d < b.maxTicks { // an earlier reading wraps: rebase
			hi, lo := bits.Mul64(d, b.mult)
			return b.wall + int64(hi<<32|lo>>32)
		}
		return rebase()
	}
	d := time.Since(b.mono)
	if d < 0 || d >= time.Second {
		return rebase()
	}
	return b.wall + int64(d)
}

func rebase() int64 {
	prev := clock.Load()
	if tscOff.Load() || !tscAvailable() {
		t := time.Now()
		clock.Store(&clockBase{wall: t.UnixNano(), mono: t})
		return t.UnixNano()
	}
	t0 := rdtsc()
	t := time.Now()
	t1 := rdtsc()
	nb := &clockBase{wall: t.UnixNano(), mono: t, tsc: t0 + (t1-t0)/2}
	if prev != nil && prev.tsc != 0 {
		nb.mult = prev.mult
		if t1-t0 < maxBracket {
			nb.mult = calibrate(prev, nb)
		}
	}
	nb.maxTicks = maxTicks(nb.mult)
	clock.Store(nb)
	return nb.wall
}

// calibrate returns the counter's scale measured from prev to cur, or 0
// if it cannot be trusted: too short an interval (a burst of rebases),
// the counter going back, or, once measured, a new measure more than
// 1,000 ppm from the previous one (the counter does not keep time: it is
// then never used again).
func calibrate(prev, cur *clockBase) uint64 {
	ns := cur.mono.Sub(prev.mono)
	ticks := cur.tsc - prev.tsc
	if ns < 100*time.Millisecond || ns > time.Hour || int64(ticks) <= 0 {
		return prev.mult // keep what was measured, if anything
	}
	mult := scale(uint64(ns), ticks)
	if mult == 0 {
		return 0
	}
	if prev.mult != 0 {
		diff := int64(mult) - int64(prev.mult)
		if diff < 0 {
			diff = -diff
		}
		if diff > int64(prev.mult/1000) {
			distrustTSC()
			return 0
		}
	}
	return mult
}

// scale returns ns/ticks as a 32.32 fixed-point number, or 0 outside the
// range now can use without overflow (a counter under 0.5 GHz).
func scale(ns, ticks uint64) uint64 {
	hi, lo := bits.Mul64(ns, 1<<32)
	if hi >= ticks {
		return 0
	}
	mult, _ := bits.Div64(hi, lo, ticks)
	if mult >= 2<<32 {
		return 0
	}
	return mult
}

// maxTicks is a second of ticks at scale mult (the counter is read only
// with a nonzero mult).
func maxTicks(mult uint64) uint64 {
	if mult == 0 {
		return 0
	}
	return uint64(time.Second) << 32 / mult
}

func distrustTSC() { tscOff.Store(true) }
