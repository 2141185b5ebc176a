package jstrace

import (
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A session buffer's mapped memory is given back once nothing holds the
// buffer, and not before: probes that loaded a subscription just before
// its Close may still write into it (see Subscription.Close), and a
// buffer unmapped under them would crash the host. Subscriptions are
// made, fed from four goroutines that never stop, read, closed and
// dropped while the collector runs as often as it can; the process must
// survive, and every mapping be unmapped at the end.
func TestRingMemoryOutlivesItsWriters(t *testing.T) {
	base := ringsMapped.Load()
	probe := NewProbe("test:ringmem")
	var stop atomic.Bool
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				probe.Emit("g", g, "i", i, "pad", "0123456789abcdef0123456789abcdef")
			}
		}()
	}
	defer debug.SetGCPercent(debug.SetGCPercent(1))
	mapped := false
	var buf []byte
	var open []*Subscription
	for round := range 60 {
		s := Subscribe(func(p string) bool { return p == "test:ringmem" }, 1<<20)
		mapped = mapped || ringsMapped.Load() > base
		for range 3 {
			buf = s.Read(buf[:0])
			runtime.Gosched()
		}
		if round%2 == 0 {
			s.Close()
		} else {
			open = append(open, s) // closed at the end
		}
		runtime.GC()
	}
	if !mapped {
		stop.Store(true)
		wg.Wait()
		t.Skip("session buffers are not mapped memory here")
	}
	stop.Store(true)
	wg.Wait()
	// The closed half is unmapped, the open half is not; then all are.
	settle := func(want int64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for ringsMapped.Load() > base+want && time.Now().Before(deadline) {
			runtime.GC()
			time.Sleep(10 * time.Millisecond)
		}
		if n := ringsMapped.Load() - base; n != want {
			t.Errorf("%d buffers mapped, want %d", n, want)
		}
	}
	settle(int64(len(open)))
	for _, s := range open {
		s.Read(buf[:0])
		s.Close()
	}
	open = nil
	settle(0)
}
