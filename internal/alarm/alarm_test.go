package alarm

import (
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// received waits up to within for a value on c.
func received(c <-chan time.Time, within time.Duration) bool {
	select {
	case <-c:
		return true
	case <-time.After(within):
		return false
	}
}

func clocks(t *testing.T) map[string]*Clock {
	c := New()
	t.Cleanup(func() { c.Close() })
	return map[string]*Clock{"kernel": c, "nil": nil}
}

// A Timer fires once, after its duration; a ticker every period until
// stopped; Stop and Reset drop a value not taken.
func TestTimers(t *testing.T) {
	for name, c := range clocks(t) {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			tm := c.NewTimer(20 * time.Millisecond)
			if !received(tm.C, 5*time.Second) {
				t.Fatal("the timer did not fire")
			}
			if d := time.Since(start); d < 20*time.Millisecond {
				t.Errorf("fired after %v, before its 20 ms", d)
			}
			if received(tm.C, 50*time.Millisecond) {
				t.Error("a one-shot timer fired twice")
			}

			tk := c.NewTicker(5 * time.Millisecond)
			for i := range 3 {
				if !received(tk.C, 5*time.Second) {
					t.Fatalf("tick %d missing", i)
				}
			}
			tk.Stop()
			if received(tk.C, 30*time.Millisecond) {
				t.Error("a stopped ticker ticked")
			}

			tm.Reset(time.Millisecond)
			time.Sleep(20 * time.Millisecond) // fired, not taken
			tm.Stop()
			if received(tm.C, 0) {
				t.Error("Stop left a value in C")
			}
			tm.Reset(time.Millisecond)
			time.Sleep(20 * time.Millisecond)
			tm.Reset(time.Hour)
			if received(tm.C, 30*time.Millisecond) {
				t.Error("Reset left a value in C, or an hour-long timer fired")
			}
			tm.Stop()
		})
	}
}

// A Timer made or reset to fire before the one the kernel timer is set
// for gets it set earlier; one stopped leaves the others on time.
func TestEarlierTimer(t *testing.T) {
	c := New()
	defer c.Close()
	long := c.NewTimer(time.Hour)
	short := c.NewTimer(time.Hour)
	short.Reset(10 * time.Millisecond)
	if !received(short.C, 5*time.Second) {
		t.Fatal("a timer reset earlier did not fire")
	}
	other := c.NewTimer(10 * time.Millisecond)
	long.Stop()
	if !received(other.C, 5*time.Second) {
		t.Fatal("a timer did not fire once another was stopped")
	}
	if received(long.C, 20*time.Millisecond) {
		t.Error("a stopped timer fired")
	}
}

// On Linux the Timers are the kernel timer's: the Clock's goroutine waits
// in the network poller ("IO wait"), not on a Go timer; after Close the
// goroutine is gone (goleak) and new Timers are Go timers, which fire.
func TestKernelTimer(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the kernel timer is Linux's")
	}
	c := New()
	tm := c.NewTicker(time.Hour)
	if c.kernel == nil {
		t.Fatal("no kernel timer")
	}
	var stacks string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		buf := make([]byte, 1<<20)
		stacks = string(buf[:runtime.Stack(buf, true)])
		if waitsIO(stacks) {
			break
		}
	}
	if !waitsIO(stacks) {
		t.Fatalf("the clock's goroutine does not wait in the poller:\n%s", stacks)
	}
	tm.Stop()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if !received(c.NewTimer(time.Millisecond).C, 5*time.Second) {
		t.Error("a timer made after Close did not fire")
	}
}

func waitsIO(stacks string) bool {
	for _, g := range strings.Split(stacks, "\n\n") {
		if strings.Contains(g, "alarm.(*Clock).loop") {
			return strings.Contains(g, "[IO wait")
		}
	}
	return false
}

// A Timer due past the end of time (an Every of math.MaxInt64: "never")
// leaves the others on time, and the ones made after it: its due time
// saturates, as a Go timer's does, rather than wrapping round.
func TestFarTimer(t *testing.T) {
	c := New()
	defer c.Close()
	never := c.NewTicker(time.Duration(math.MaxInt64))
	defer never.Stop()
	tk := c.NewTicker(5 * time.Millisecond)
	defer tk.Stop()
	for i := range 3 {
		if !received(tk.C, 5*time.Second) {
			t.Fatalf("tick %d missing beside a timer due never", i)
		}
	}
	never.Reset(time.Duration(math.MaxInt64 - 1))
	if !received(c.NewTimer(5*time.Millisecond).C, 5*time.Second) {
		t.Fatal("a timer made after one due never did not fire")
	}
	if received(never.C, 20*time.Millisecond) {
		t.Error("a timer due never fired")
	}
}
