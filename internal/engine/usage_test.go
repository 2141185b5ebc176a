package engine

import (
	"sync"
	"sync/atomic"
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
	defer func() { e.Stop(within(t, time.Second)) }()
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

// Busy and CPU never go backwards, read while stretches begin and end:
// a stretch that ends moves from the running one to those that ended in
// one step for readers.
func TestUsageIsMonotonic(t *testing.T) {
	p := &pinning{wake: make(chan struct{}, 1)}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			p.pin()
			for start := time.Now(); time.Since(start) < 20*time.Microsecond; {
			}
			p.unpin()
		}
	}()
	var fails atomic.Int64
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lastBusy, lastCPU time.Duration
			for {
				select {
				case <-stop:
					return
				default:
				}
				busy, cpu := p.busy(), p.total()
				if busy < lastBusy || cpu < lastCPU {
					fails.Add(1)
					t.Errorf("busy %v after %v, CPU %v after %v", busy, lastBusy, cpu, lastCPU)
					return
				}
				lastBusy, lastCPU = busy, cpu
			}
		}()
	}
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()
	if p.busy() == 0 {
		t.Fatal("no stretch counted")
	}
}
