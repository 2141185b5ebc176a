package agent

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/cpuclock"
)

// spinCPU burns d of the calling thread's CPU time (wall time where there
// is no thread clock).
func spinCPU(d time.Duration) {
	c0, ok := cpuclock.Self()
	for w0 := time.Now(); time.Since(w0) < 5*time.Second; {
		if c, _ := cpuclock.Self(); !ok && time.Since(w0) >= d || ok && c-c0 >= d {
			return
		}
	}
}

// Sampled reductions are charged their CPU time: one that waits (as a
// thread descheduled on a loaded host does) is not charged its wall time,
// and one that is really long is charged in full.
func TestReductionTimerChargesCPU(t *testing.T) {
	if _, ok := cpuclock.Self(); !ok {
		t.Skip("no thread CPU clock here")
	}
	const n = 20
	for _, tc := range []struct {
		name      string
		clockOff  bool
		reduction func()
		min, max  time.Duration // of the estimate, over n samples
	}{
		// Half the samples at most longSample, the others the sleep's CPU
		// (tens of µs under the race detector): far from the 5 ms of wall
		// time each would have been charged.
		{"descheduled", false, func() { time.Sleep(5 * time.Millisecond) }, 0, n * 5 * time.Millisecond * sampleEvery / 20},
		// The first at longSample, the rest in full.
		{"long", false, func() { spinCPU(300 * time.Microsecond) }, (n - 2) * 300 * time.Microsecond * sampleEvery, 2 * n * 300 * time.Microsecond * sampleEvery},
		{"short", false, func() {}, 0, n * longSample * sampleEvery / 10},
		// Without a clock, a long sample is charged its wall time.
		{"descheduled without a clock", true, func() { time.Sleep(5 * time.Millisecond) }, (n - 1) * 5 * time.Millisecond * sampleEvery, time.Duration(1 << 62)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.clockOff {
				cpuclock.SetOff(true)
				defer cpuclock.SetOff(false)
			}
			var cpu atomic.Int64
			r := &reductionTimer{cpu: &cpu, event: func(jstrace.Event) { tc.reduction() }}
			for range n {
				r.sample(jstrace.Event{})
			}
			if got := time.Duration(cpu.Load()); got < tc.min || got > tc.max {
				t.Errorf("%d samples estimated %v, want between %v and %v", n, got, tc.min, tc.max)
			}
		})
	}
}
