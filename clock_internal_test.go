package jstrace

import (
	"testing"
	"time"
)

func TestScale(t *testing.T) {
	for _, c := range []struct {
		name      string
		ns, ticks uint64
		want      float64 // ns per tick; 0: refused
	}{
		{"2.1GHz", 1e9, 2.1e9, 1 / 2.1},
		{"1GHz", 1e9, 1e9, 1},
		{"3.5GHz", 2e9, 7e9, 1 / 3.5},
		{"0.6GHz", 1e9, 0.6e9, 1 / 0.6},
		{"too slow: 0.4GHz", 1e9, 0.4e9, 0},
		{"fewer ticks than ns/2^32", 1e9, 1, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := float64(scale(c.ns, c.ticks)) / (1 << 32)
			if c.want == 0 {
				if got != 0 {
					t.Fatalf("scale = %v, want refused", got)
				}
				return
			}
			if d := got/c.want - 1; d > 1e-6 || d < -1e-6 {
				t.Fatalf("scale = %v ns/tick, want %v", got, c.want)
			}
		})
	}
}

func TestCalibrate(t *testing.T) {
	t.Cleanup(func() { tscOff.Store(false) })
	t0 := time.Now()
	const ghz = 2.1
	base := func(after time.Duration, ppm float64, mult uint64) *clockBase {
		ticks := uint64(float64(after) * ghz * (1 + ppm/1e6))
		return &clockBase{mono: t0.Add(after), tsc: 1e12 + ticks, mult: mult}
	}
	first := base(0, 0, 0)
	m := calibrate(first, base(time.Second, 0, 0))
	if got := float64(m) / (1 << 32); got < 0.999/ghz || got > 1.001/ghz {
		t.Fatalf("first measure: %v ns/tick, want %v", got, 1/ghz)
	}
	prev := base(time.Second, 0, m)
	if got := calibrate(prev, base(time.Second+10*time.Millisecond, 0, 0)); got != m {
		t.Errorf("10 ms later: %d, want the previous measure %d kept", got, m)
	}
	if got := calibrate(prev, base(2*time.Second, 500, 0)); got == 0 || tscOff.Load() {
		t.Errorf("500 ppm off: distrusted, want kept")
	}
	backwards := &clockBase{mono: t0.Add(2 * time.Second), tsc: prev.tsc - 5}
	if got := calibrate(prev, backwards); got != m || tscOff.Load() {
		t.Errorf("counter went back: %d (off %v), want the previous measure kept", got, tscOff.Load())
	}
	if got := calibrate(prev, base(2*time.Second, 5000, 0)); got != 0 || !tscOff.Load() {
		t.Errorf("5,000 ppm off: %d (off %v), want distrusted for good", got, tscOff.Load())
	}
}

// TestNowKeepsTime reads now against time.Now for over a second (past the
// counter's first measure where it is used): they agree within 2 ms, and
// successive readings never go back by more than a microsecond.
func TestNowKeepsTime(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 1.3 s")
	}
	last := now()
	for end := time.Now().Add(1300 * time.Millisecond); time.Now().Before(end); {
		for i := 0; i < 1000; i++ {
			n := now()
			if n < last-1000 {
				t.Fatalf("now went back %d ns", last-n)
			}
			last = n
		}
		if d := now() - time.Now().UnixNano(); d > 2e6 || d < -2e6 {
			t.Fatalf("now is %v off time.Now", time.Duration(d))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if tscAvailable() && !tscOff.Load() && clock.Load().mult == 0 {
		t.Errorf("the kernel keeps time with the TSC, but now never measured it")
	}
	t.Logf("tsc available %v, off %v, scale %.6f ns/tick", tscAvailable(), tscOff.Load(), float64(clock.Load().mult)/(1<<32))
}

func BenchmarkNow(b *testing.B) {
	var s int64
	for i := 0; i < b.N; i++ {
		s += now()
	}
	_ = s
}
