package engine

import (
	"strings"
	"testing"
	"time"
)

// Many Every callbacks, each within the per-call budget, fire in one
// stretch of seconds: the CPU share must count a stretch while it runs, or
// no three windows in a row would be over the limit. (Found in review.)
func TestLongTimerStretchCountsForMaxCPU(t *testing.T) {
	out := &fakeOutput{}
	src := limitsHeader + `
func busy() {
	start := time.Now()
	for time.Since(start) < 80*time.Millisecond {
	}
}

func Remote(traces *script.Traces) {
	for i := 0; i < 30; i++ {
		traces.Every(time.Millisecond, busy)
	}
}
`
	e, err := Start("s.go", []byte(src), Remote, out, Options{Limits: limits})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Abandon()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		out.mu.Lock()
		d := append([]string(nil), out.detached...)
		out.mu.Unlock()
		if len(d) > 0 {
			if !strings.Contains(d[0], "of a CPU") {
				t.Fatalf("detached because %q", d[0])
			}
			return
		}
	}
	t.Fatalf("a script using a whole CPU for 15 s was not stopped (MaxCPU %.0f%%)", 100*limits.MaxCPU)
}

// Once the host gives up waiting for Stop and abandons the engine, no more
// cleanup functions run: a script with many slow ones must not keep a CPU
// busy after its session is gone. (Found in review.)
func TestAbandonStopsCleanups(t *testing.T) {
	out := &fakeOutput{}
	src := limitsHeader + `
func busy() {
	start := time.Now()
	for time.Since(start) < 250*time.Millisecond {
	}
}

func Remote(traces *script.Traces) {
	for i := 0; i < 80; i++ {
		traces.OnCleanup(busy)
	}
}
`
	e, err := Start("s.go", []byte(src), Remote, out, Options{Limits: limits})
	if err != nil {
		t.Fatal(err)
	}
	if e.Stop(within(t, 2*time.Second)) == nil {
		t.Fatal("80 cleanups of 250 ms finished within 2 s")
	}
	e.Abandon()
	if e.Wait(within(t, 5*time.Second)) != nil {
		t.Fatal("abandoned engine still running cleanups 5 s later")
	}
}
