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
	for r.tail-r.head < 1<<10-200 {
		r.write(rec(100))
	}
	if pending(r.ready) || pending(r.filling) {
		t.Fatal("signalled while the ring was neither empty nor crossing a quarter")
	}
	r.write(rec(300)) // crosses 1 KiB
	if !pending(r.filling) {
		t.Fatalf("no filling signal when crossing a quarter (%d bytes used)", r.tail-r.head)
	}
	r.write(rec(100))
	if pending(r.filling) {
		t.Fatal("filling signalled again above a quarter")
	}
	if got := len(r.read(nil)); got == 0 || r.tail != r.head {
		t.Fatalf("read %d bytes and left %d", got, r.tail-r.head)
	}
	r.write(rec(2000)) // from empty past a quarter in one record
	if !pending(r.ready) || !pending(r.filling) {
		t.Fatal("a record that fills an empty ring past a quarter must signal both")
	}
}
