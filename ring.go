package jstrace

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// ring is a bounded multi-producer, single-consumer byte queue of
// length-prefixed records. Producers never wait for the consumer: a record
// that does not fit is dropped and counted.
type ring struct {
	mu   sync.Mutex
	buf  []byte // len is a power of two
	head uint64 // next byte to read; guarded by mu
	tail uint64 // next byte to write; guarded by mu

	dropped atomic.Uint64
	ready   chan struct{} // capacity 1: signalled when the ring turns non-empty
	filling chan struct{} // capacity 1: signalled when the ring passes a quarter full
}

func newRing(size int) *ring {
	if size < 4<<10 {
		size = 4 << 10
	}
	size = 1 << bits.Len(uint(size-1)) // round up to a power of two
	return &ring{buf: make([]byte, size), ready: make(chan struct{}, 1), filling: make(chan struct{}, 1)}
}

// MaxRecordSize bounds one encoded event; a larger one (thousands of long
// fields) is dropped and counted like an event that does not fit.
const MaxRecordSize = 1 << 20

// frameHdr is the room left in front of a record for its length, a uvarint
// of at most three bytes since records are at most MaxRecordSize: the
// record is encoded once, in place, and copied into the ring in one piece.
const frameHdr = 3

// frame writes the length of the record that follows b[:frameHdr] in front
// of it and returns the length-prefixed record; ok is false if the record
// is too large.
func frame(b []byte) (f []byte, ok bool) {
	n := len(b) - frameHdr
	switch {
	case n < 1<<7:
		b[2] = byte(n)
		return b[2:], true
	case n < 1<<14:
		b[1], b[2] = byte(n)|0x80, byte(n>>7)
		return b[1:], true
	case n <= MaxRecordSize:
		b[0], b[1], b[2] = byte(n)|0x80, byte(n>>7)|0x80, byte(n>>14)
		return b, true
	}
	return nil, false
}

// write appends one length-prefixed record (see frame). It reports false
// when the record was dropped: too large (f is nil), or no room.
func (r *ring) write(f []byte) bool {
	if f == nil {
		r.dropped.Add(1)
		return false
	}
	need := uint64(len(f))
	r.mu.Lock()
	if need > uint64(len(r.buf))-(r.tail-r.head) {
		r.mu.Unlock()
		r.dropped.Add(1)
		return false
	}
	used := r.tail - r.head
	r.put(f)
	r.mu.Unlock()
	if used == 0 {
		signal(r.ready)
	}
	if q := uint64(len(r.buf)) / 4; used < q && used+need >= q {
		signal(r.filling)
	}
	return true
}

// signal sends on a channel of capacity 1 unless a signal is pending.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// put copies p at the tail, wrapping around; the caller holds mu and has
// checked that p fits.
func (r *ring) put(p []byte) {
	i := r.tail & uint64(len(r.buf)-1)
	if n := copy(r.buf[i:], p); n < len(p) {
		copy(r.buf, p[n:])
	}
	r.tail += uint64(len(p))
}

// read appends every buffered byte to dst and empties the ring. It copies
// without holding the lock, so probes never wait for a large copy: producers
// only write between tail and head+len(buf), never over [head, tail), and
// there is a single consumer.
func (r *ring) read(dst []byte) []byte {
	r.mu.Lock()
	head, tail := r.head, r.tail
	r.mu.Unlock()
	if head == tail {
		return dst
	}
	mask := uint64(len(r.buf) - 1)
	i, j := head&mask, tail&mask
	if i < j {
		dst = append(dst, r.buf[i:j]...)
	} else {
		dst = append(dst, r.buf[i:]...)
		dst = append(dst, r.buf[:j]...)
	}
	r.mu.Lock()
	r.head = tail
	if r.tail == tail {
		// Empty: start over at the beginning, so that a consumer that
		// keeps up has probes write into the same few warm cache lines
		// rather than sweep the whole buffer through the cache.
		r.head, r.tail = 0, 0
	} else {
		// Producers wrote during the copy and, finding the ring non-empty,
		// did not signal: signal for them, or their records would wait for
		// the next write to an empty ring.
		signal(r.ready)
	}
	r.mu.Unlock()
	return dst
}
