package jstrace

import (
	"encoding/binary"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A session buffer's memory goes back to its pool once nothing holds the
// buffer, and not before. Subscriptions are made, fed from four
// goroutines that never stop, read (every read must be whole records),
// closed and dropped while the collector runs as often as it can: the
// buffers of the subscriptions still open must stay out, and every buffer
// be back once all are closed and dropped.
func TestRingMemoryOutlivesItsWriters(t *testing.T) {
	base := ringsOut.Load()
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
	var buf []byte
	read := func(s *Subscription) {
		t.Helper()
		buf = s.Read(buf[:0])
		for p := buf; len(p) > 0; {
			n, w := binary.Uvarint(p)
			if w <= 0 || n == 0 || uint64(len(p)-w) < n {
				t.Fatalf("a read holds %d bytes that are not a record", len(p))
			}
			p = p[w+int(n):]
		}
	}
	var open []*Subscription
	for round := range 60 {
		s := Subscribe(func(p string) bool { return p == "test:ringmem" }, 1<<20)
		for range 3 {
			read(s)
			runtime.Gosched()
		}
		if round%2 == 0 {
			s.Close()
		} else {
			open = append(open, s) // closed at the end
		}
		runtime.GC()
		for _, o := range open {
			read(o)
		}
	}
	stop.Store(true)
	wg.Wait()
	// The closed half is given back, the open half is not; then all are.
	settle := func(want int64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for ringsOut.Load() > base+want && time.Now().Before(deadline) {
			runtime.GC()
			time.Sleep(10 * time.Millisecond)
		}
		if n := ringsOut.Load() - base; n != want {
			t.Errorf("%d buffers out, want %d", n, want)
		}
	}
	parts := int64(shardsFor(1 << 20))
	settle(int64(len(open)) * parts)
	for _, s := range open {
		read(s)
		s.Close()
	}
	open = nil
	settle(0)
}
