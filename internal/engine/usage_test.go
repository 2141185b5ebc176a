package engine

import (
	"testing"
	"time"
)

// Busy counts the wall time of the engine's stretches of work, at least
// their CPU time, and nothing while the engine is idle.
func TestBusyCountsStretches(t *testing.T) {
	src := limitsHeader + `
func Remote(traces *script.Traces) {
	traces.Every(20*time.Millisecond, func() {
		for start := time.Now(); time.Since(start) < 5*time.Millisecond; {
		}
	})
}
`
	e, err := Start("busy.go", []byte(src), Remote, &fakeOutput{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop(time.Second)
	b0 := e.Busy()
	time.Sleep(500 * time.Millisecond)
	busy, cpu := e.Busy()-b0, e.CPU()
	// Some 25% of the half second: at least 5 callbacks of 5ms.
	if busy < 25*time.Millisecond || busy > 450*time.Millisecond {
		t.Fatalf("busy %v in 500ms of 5ms every 20ms", busy)
	}
	if cpu > e.Busy()+5*time.Millisecond {
		t.Fatalf("CPU %v past busy %v", cpu, e.Busy())
	}
	if e.PendingBytes() != 0 {
		t.Fatalf("%d bytes pending", e.PendingBytes())
	}
}
