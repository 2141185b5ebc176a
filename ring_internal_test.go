package jstrace

import "testing"

// pending reports whether a signal waits on c, and consumes it.
func pending(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func TestRingSignals(t *testing.T) {
	r := newRing(4 << 10) // a quarter is 1 KiB
	rec := func(n int) []byte {
		f, _ := frame(make([]byte, frameHdr+n))
		return f
	}
	r.write(rec(100))
	if !pending(r.ready) {
		t.Fatal("no ready signal when the ring turned non-empty")
	}
	if pending(r.filling) {
		t.Fatal("filling signalled with 102 of 4096 bytes used")
	}
	for r.shards[0].tail-r.shards[0].head < 1<<10-200 {
		r.write(rec(100))
	}
	if pending(r.ready) || pending(r.filling) {
		t.Fatal("signalled while the ring was neither empty nor crossing a quarter")
	}
	r.write(rec(300)) // crosses 1 KiB
	if !pending(r.filling) {
		t.Fatalf("no filling signal when crossing a quarter (%d bytes used)", r.shards[0].tail-r.shards[0].head)
	}
	r.write(rec(100))
	if pending(r.filling) {
		t.Fatal("filling signalled again above a quarter")
	}
	if got := len(r.read(nil)); got == 0 || r.shards[0].tail != r.shards[0].head {
		t.Fatalf("read %d bytes and left %d", got, r.shards[0].tail-r.shards[0].head)
	}
	r.write(rec(2000)) // from empty past a quarter in one record
	if !pending(r.ready) || !pending(r.filling) {
		t.Fatal("a record that fills an empty ring past a quarter must signal both")
	}
}

// A ring read empty starts over at its beginning, so that probes keep
// writing into warm cache lines; records written meanwhile stay in order.
func TestRingRestartsWhenEmpty(t *testing.T) {
	r := newRing(4 << 10)
	f, _ := frame(append(make([]byte, frameHdr), "abc"...))
	for range 3 {
		r.write(f)
	}
	got := r.read(nil)
	if string(got) != string(f)+string(f)+string(f) {
		t.Fatalf("read %q", got)
	}
	if s := &r.shards[0]; s.head != 0 || s.tail != 0 {
		t.Fatalf("an empty ring kept head %d, tail %d", s.head, s.tail)
	}
	// Records of most of the ring go through, one read at a time.
	big, _ := frame(make([]byte, frameHdr+3000))
	for i := range 5 {
		if !r.write(big) {
			t.Fatalf("write %d dropped from an empty ring", i)
		}
		if got := r.read(nil); len(got) != len(big) {
			t.Fatalf("read %d bytes, want %d", len(got), len(big))
		}
	}
}
