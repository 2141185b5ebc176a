package jstrace

import (
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
)

// ring is a bounded multi-producer, single-consumer byte queue of
// length-prefixed records. Producers never wait for the consumer: a record
// that does not fit is dropped and counted.
//
// A large ring is split in shards, one per processor (the runtime's P)
// up to maxRingShards, each with its own lock and buffer: a probe writes
// to its P's shard (procShard), so that probes firing on several cores do
// not share a lock or cache lines, and takes the next free shard if its
// own is busy, or the next with room if its own is full, so that one busy
// core still has the whole ring. The consumer reads every shard and
// sorts their records by time (readShards).
type ring struct {
	shards []ringShard

	dropped atomic.Uint64
	ready   chan struct{} // capacity 1: signalled when a shard turns non-empty
	filling chan struct{} // capacity 1: signalled when a shard passes a quarter full

	merge ringMerge // the consumer's, with several shards (ringmerge.go)
}

// ringShard is one shard. It is padded so that two shards' locks and
// indexes never share a cache line.
type ringShard struct {
	mu   sync.Mutex
	buf  []byte // len is a power of two; maybe pooled: see newShardedRing
	head uint64 // next byte to read; guarded by mu
	tail uint64 // next byte to write; guarded by mu
	_    [64]byte
}

// maxRingShards bounds the shards of a ring, and minShardSize their size:
// a ring smaller than two of those is one shard. A record must fit in one
// shard.
const (
	maxRingShards = 8
	minShardSize  = 256 << 10
)

func newRing(size int) *ring {
	if size < 4<<10 {
		size = 4 << 10
	}
	size = 1 << bits.Len(uint(size-1)) // round up to a power of two
	return newShardedRing(size, shardsFor(size))
}

// shardsFor returns how many shards a ring of size bytes (a power of two)
// has.
func shardsFor(size int) int {
	n := 1
	for n < maxRingShards && n < runtime.GOMAXPROCS(0) && size/(2*n) >= minShardSize {
		n *= 2
	}
	return n
}

// newShardedRing makes a ring of n shards (a power of two) of size/n
// bytes each (size a power of two).
//
// Each shard's buffer is a piece of its own, which may come from a pool
// (ringMemory) and goes back to it once the shards' array is unreachable:
// whatever reads or writes a buffer must hold the array (the ring, or a
// *ringShard in it) until it is done with the buffer's bytes, never only
// a slice of them, or another ring could be given the bytes meanwhile.
func newShardedRing(size, n int) *ring {
	r := &ring{shards: make([]ringShard, n), ready: make(chan struct{}, 1), filling: make(chan struct{}, 1)}
	bufs := make([][]byte, n)
	for i := range r.shards {
		bufs[i] = ringMemory(size / n)
		r.shards[i].buf = bufs[i]
	}
	if size/n >= poolMin {
		runtime.AddCleanup(&r.shards[0], freeRingMemory, bufs)
	}
	return r
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
	i := 0
	if len(r.shards) > 1 {
		i = procShard(len(r.shards))
	}
	s := &r.shards[i]
	if !s.mu.TryLock() {
		s = lockNextFree(r.shards, i)
	}
	if need > s.room() {
		s.mu.Unlock()
		if s = r.lockRoom(i, need); s == nil {
			r.dropped.Add(1)
			return false
		}
	}
	used := s.tail - s.head
	s.put(f)
	s.mu.Unlock()
	runtime.KeepAlive(s) // the buffer's memory: see newShardedRing
	if used == 0 {
		signal(r.ready)
	}
	if q := uint64(len(s.buf)) / 4; used < q && used+need >= q {
		signal(r.filling)
	}
	return true
}

// lockRoom returns a shard with room for need bytes, locked, trying from
// shard i on; nil if none has.
func (r *ring) lockRoom(i int, need uint64) *ringShard {
	n := len(r.shards)
	for k := 1; k < n; k++ {
		s := &r.shards[(i+k)&(n-1)]
		s.mu.Lock()
		if need <= s.room() {
			return s
		}
		s.mu.Unlock()
	}
	return nil
}

func (s *ringShard) lock() *sync.Mutex { return &s.mu }

// room is how many bytes fit in s; the caller holds s.mu.
func (s *ringShard) room() uint64 { return uint64(len(s.buf)) - (s.tail - s.head) }

// signal sends on a channel of capacity 1 unless a signal is pending.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// put copies p at the tail, wrapping around; the caller holds mu and has
// checked that p fits.
func (s *ringShard) put(p []byte) {
	i := s.tail & uint64(len(s.buf)-1)
	if n := copy(s.buf[i:], p); n < len(p) {
		copy(s.buf, p[n:])
	}
	s.tail += uint64(len(p))
}

// read appends every buffered record to dst, in order of time across the
// shards (see readShards), and empties the ring. It is for the single
// consumer.
func (r *ring) read(dst []byte) []byte {
	if len(r.shards) == 1 {
		return r.readShard(&r.shards[0], dst)
	}
	return r.readShards(dst)
}

// readShard appends every byte buffered in s to dst and empties it.
func (r *ring) readShard(s *ringShard, dst []byte) []byte {
	a, b, tail := s.buffered()
	dst = append(append(dst, a...), b...)
	r.release(s, tail) // holds s past the copy: see newShardedRing
	return dst
}

// buffered returns the bytes buffered in s, in two pieces (the second
// non-empty when they wrap around the end of the buffer), and the tail to
// release them up to.
func (s *ringShard) buffered() (a, b []byte, tail uint64) {
	s.mu.Lock()
	head, tail := s.head, s.tail
	s.mu.Unlock()
	a, b = s.between(head, tail)
	return a, b, tail
}

// between returns the bytes of s from head to tail, in two pieces. The
// consumer reads them without holding the lock, so probes never wait for
// a large copy: producers only write between tail and head+len(buf),
// never over [head, tail), and there is a single consumer.
func (s *ringShard) between(head, tail uint64) (a, b []byte) {
	if head == tail {
		return nil, nil
	}
	mask := uint64(len(s.buf) - 1)
	i, j := head&mask, tail&mask
	if i < j {
		return s.buf[i:j], nil
	}
	return s.buf[i:], s.buf[:j]
}

// release empties s up to tail (from buffered), once the consumer is done
// with those bytes.
func (r *ring) release(s *ringShard, tail uint64) {
	s.mu.Lock()
	if s.head == tail { // nothing was buffered
		s.mu.Unlock()
		return
	}
	s.head = tail
	if s.tail == tail {
		// Empty: start over at the beginning, so that a consumer that
		// keeps up has probes write into the same few warm cache lines
		// rather than sweep the whole buffer through the cache.
		s.head, s.tail = 0, 0
	} else {
		// Producers wrote during the copy and, finding the shard
		// non-empty, did not signal: signal for them, or their records
		// would wait for the next write to an empty shard.
		signal(r.ready)
	}
	s.mu.Unlock()
}
