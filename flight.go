package jstrace

import (
	"cmp"
	"encoding/binary"
	"runtime"
	"slices"
	"sync"
)

// A flight recorder's buffer (see [SubscribeFlight]) is split in shards,
// each a ring of length-prefixed records with its own lock, that overwrite
// their oldest records: no reader drains them, nothing is woken, and
// nothing is ever dropped for want of room.
//
// A probe writes to the shard of the processor it runs on (procShard), so
// that cores do not share locks or cache lines; if that shard is busy it
// takes the next whose lock is free (TryLock), waiting only when all are
// busy. A lock is held to copy one record (tens of bytes, at most the
// shard's size for a huge one) and to step the shard's start over the
// records it overwrites; Snapshot holds each shard's lock in turn while it
// copies that shard out.
type flight struct {
	shards []flightShard
	size   int // the bytes of all shards: exactly what SubscribeFlight was given
}

// flightShard is one ring. It is padded so that two shards' locks never
// share a cache line.
type flightShard struct {
	mu          sync.Mutex
	buf         []byte
	start, used int    // the oldest record's offset, and the bytes held
	records     uint64 // records written
	overwritten uint64 // records written over
	dropped     uint64 // records larger than the shard
	_           [64]byte
}

// MinFlightSize is the smallest flight recorder [SubscribeFlight] makes.
const MinFlightSize = 64 << 10

// maxFlightShards bounds the shards of a flight recorder.
const maxFlightShards = 8

func newFlight(size int) *flight {
	size = max(size, MinFlightSize)
	n := 1
	for n < maxFlightShards && n < runtime.GOMAXPROCS(0) {
		n *= 2
	}
	f := &flight{shards: make([]flightShard, n), size: size}
	for i := range f.shards {
		s := size / n
		if i == 0 {
			s += size % n
		}
		f.shards[i].buf = make([]byte, s)
	}
	return f
}

// write copies one length-prefixed record (see frame) into a shard; nil
// (a record over MaxRecordSize) is counted as dropped. It reports false
// when the record was dropped.
func (f *flight) write(rec []byte) bool {
	n := len(f.shards)
	i := procShard(n)
	s := &f.shards[i]
	if !s.mu.TryLock() {
		s = lockNextFree(f.shards, i)
	}
	ok := s.put(rec)
	s.mu.Unlock()
	return ok
}

func (s *flightShard) lock() *sync.Mutex { return &s.mu }

// put appends rec, overwriting the oldest records to make room, and
// reports false if it was too large; the caller holds mu.
func (s *flightShard) put(rec []byte) bool {
	if rec == nil || len(rec) > len(s.buf) {
		s.dropped++
		return false
	}
	for len(s.buf)-s.used < len(rec) {
		n := s.recordLen(s.start)
		s.start = s.wrap(s.start + n)
		s.used -= n
		s.overwritten++
	}
	at := s.wrap(s.start + s.used)
	if k := copy(s.buf[at:], rec); k < len(rec) {
		copy(s.buf, rec[k:])
	}
	s.used += len(rec)
	s.records++
	return true
}

func (s *flightShard) wrap(i int) int {
	if i >= len(s.buf) {
		i -= len(s.buf)
	}
	return i
}

// recordLen returns the length, prefix included, of the record at offset
// i, whose prefix may wrap around the end of buf.
func (s *flightShard) recordLen(i int) int {
	var p [binary.MaxVarintLen32]byte
	for k := range p {
		p[k] = s.buf[s.wrap(i+k)]
		if p[k] < 0x80 {
			break
		}
	}
	v, w := binary.Uvarint(p[:])
	return w + int(v)
}

// FlightStats are a flight recorder's counters since it started.
type FlightStats struct {
	Size        int    // its memory: the bytes of its buffer
	Records     uint64 // records written
	Overwritten uint64 // records written over by newer ones, or left out of a snapshot (see Snapshot)
	Dropped     uint64 // records larger than a shard of the buffer (size/8 or more), never kept
}

// snapshot appends the recorder's records to dst, oldest first (see
// Subscription.Snapshot).
func (f *flight) snapshot(dst []byte) ([]byte, FlightStats) {
	st := FlightStats{Size: f.size}
	type rec struct {
		ts    int64
		off   int // in raw
		n     int
		shard int
	}
	// Every buffer is allocated once, at its final size: growing them by
	// append would allocate several times the recorder's size per dump.
	raw := make([]byte, 0, f.size) // the shards hold at most f.size bytes
	begins := make([]int, len(f.shards)+1)
	lost := make([]bool, len(f.shards))
	for i := range f.shards {
		s := &f.shards[i]
		s.mu.Lock()
		begins[i] = len(raw)
		if end := s.start + s.used; end <= len(s.buf) {
			raw = append(raw, s.buf[s.start:end]...)
		} else {
			raw = append(raw, s.buf[s.start:]...)
			raw = append(raw, s.buf[:end-len(s.buf)]...)
		}
		st.Records += s.records
		st.Overwritten += s.overwritten
		st.Dropped += s.dropped
		lost[i] = s.overwritten > 0
		s.mu.Unlock()
	}
	begins[len(f.shards)] = len(raw)
	count := 0
	for off := 0; off < len(raw); count++ {
		v, w := binary.Uvarint(raw[off:])
		off += w + int(v)
	}
	recs := make([]rec, 0, count)
	cut := int64(0) // records older than this are missing from some shard
	for i := range f.shards {
		for off := begins[i]; off < begins[i+1]; {
			v, w := binary.Uvarint(raw[off:])
			r := rec{ts: recordTime(raw[off+w : off+w+int(v)]), off: off, n: w + int(v), shard: i}
			if off == begins[i] && lost[i] {
				cut = max(cut, r.ts)
			}
			recs = append(recs, r)
			off += r.n
		}
	}
	slices.SortStableFunc(recs, func(a, b rec) int { return cmp.Or(cmp.Compare(a.ts, b.ts), a.shard-b.shard) })
	if cap(dst)-len(dst) < len(raw) {
		dst = append(make([]byte, 0, len(dst)+len(raw)), dst...)
	}
	for _, r := range recs {
		if r.ts < cut {
			st.Overwritten++
			continue
		}
		dst = append(dst, raw[r.off:r.off+r.n]...)
	}
	return dst, st
}

// recordTime reads the time of an encoded record: kind, name, time.
func recordTime(rec []byte) int64 {
	if len(rec) < 2 {
		return 0
	}
	n, w := binary.Uvarint(rec[1:])
	at := 1 + w + int(n)
	if w <= 0 || at+8 > len(rec) {
		return 0
	}
	return int64(binary.LittleEndian.Uint64(rec[at:]))
}
