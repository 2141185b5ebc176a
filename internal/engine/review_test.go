package engine

import (
	"testing"
	"time"
)

// A recording may jump by more than an int64 of nanoseconds (~292
// years: its times range over 1678–2262). The skip after the catch-up
// must still leave the timers past the new time: it overflowed and put
// them centuries back, so that every later move of the clock ran
// maxCatchUp callbacks again (a replay of a hostile file crawled).
func TestReviewVirtualClockHugeGap(t *testing.T) {
	for _, every := range []time.Duration{time.Second, time.Millisecond, 7 * time.Second, time.Hour} {
		t.Run(every.String(), func(t *testing.T) {
			var ts timers
			t0 := time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC)
			ts.init(t0)
			defer ts.stop()
			n := 0
			ts.add(every, func() { n++ })
			to := time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
			ts.advance(to, func(fn func()) { fn() })
			if n > maxCatchUp {
				t.Fatalf("%d callbacks, over %d", n, maxCatchUp)
			}
			next := ts.list[0].next
			if !next.After(to) || next.After(to.Add(every)) {
				t.Fatalf("after the gap the timer is due at %v, want in (%v, %v]", next, to, to.Add(every))
			}
			n = 0
			ts.advance(to.Add(10*time.Millisecond), func(fn func()) { fn() })
			if want := int(10 * time.Millisecond / every); n > want+1 {
				t.Fatalf("10ms after the gap, %d callbacks, want at most %d", n, want+1)
			}
		})
	}
}
