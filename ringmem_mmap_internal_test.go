//go:build linux && !race

package jstrace

import (
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

// heapObjects returns the bytes of the heap's live and not yet swept
// objects.
func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	runtime.GC()
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// A session's buffer is not the collector's: subscribing with 8 MiB of
// buffer adds to the heap only the ring's bookkeeping.
func TestRingMemoryOutsideTheHeap(t *testing.T) {
	before := heapObjects()
	s := Subscribe(func(string) bool { return false }, 8<<20)
	defer s.Close()
	after := heapObjects()
	if grew := int64(after) - int64(before); grew > 1<<20 {
		t.Errorf("subscribing with 8 MiB of buffer grew the heap by %d bytes", grew)
	}
	runtime.KeepAlive(s)
}

// A freed buffer's pages go back to the system (it reads zero again, so
// the pages are new) and its mapping goes to the next ring of its size.
func TestRingMemoryGivenBackAndReused(t *testing.T) {
	const size = 4 << 20
	r := newShardedRing(size, 1)
	buf := r.shards[0].buf
	for i := range buf {
		buf[i] = 0xa5
	}
	r = nil
	deadline := time.Now().Add(10 * time.Second)
	for !freeHas(buf) && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if !freeHas(buf) {
		t.Fatal("an unreachable ring's buffer never went back")
	}
	for i, c := range buf {
		if c != 0 {
			t.Fatalf("a freed buffer still holds its bytes (byte %d is %#x): its pages were not given back", i, c)
		}
	}
	maps := mappings()
	r = newShardedRing(size, 1)
	if n := mappings(); n != maps {
		t.Errorf("a new ring of a freed one's size made a mapping (%d, then %d) rather than reuse one", maps, n)
	}
	runtime.KeepAlive(r)
}

// freeHas reports whether b is among the idle mappings.
func freeHas(b []byte) bool {
	offHeap.mu.Lock()
	defer offHeap.mu.Unlock()
	for _, f := range offHeap.free[len(b)] {
		if &f[0] == &b[0] {
			return true
		}
	}
	return false
}

// mappings returns how many mappings pooledMemory has made.
func mappings() int {
	offHeap.mu.Lock()
	defer offHeap.mu.Unlock()
	return len(offHeap.mapped)
}
