package jstrace

import "slices"

// ringMerge is the consumer's state for reading a ring of several shards.
type ringMerge struct {
	runs  []runCursor // one per shard
	tails []uint64    // each shard's tail when the read began
}

// readShards is read for a ring of several shards: it appends the records
// buffered in every shard to dst, merged by time, and empties the ring.
// It copies each record once, from its shard to dst.
//
// The read takes every shard's lock at once to see where each ends: a
// record written before another (by one goroutine, or one it signalled)
// is then in the read whenever the other is, in whichever shards they
// landed. Within the read, each shard's records stay in the order they
// were written, and a merge that takes, each time, the shard whose next
// record is oldest keeps each goroutine's records in the order it fired
// them, even when it changed cores (shards) between them: every record
// written to a shard before a goroutine's record r was timed before the
// goroutine's next record, which the merge then takes after r. The
// records of a read from one shard only, as when one core fires, are
// copied as they are.
func (r *ring) readShards(dst []byte) []byte {
	m := &r.merge
	n := len(r.shards)
	if m.runs == nil {
		m.runs, m.tails = make([]runCursor, n), make([]uint64, n)
	}
	var heads [maxRingShards]uint64
	for i := range r.shards {
		r.shards[i].mu.Lock()
	}
	for i := range r.shards {
		heads[i], m.tails[i] = r.shards[i].head, r.shards[i].tail
	}
	for i := range r.shards {
		r.shards[i].mu.Unlock()
	}
	total, active, last := 0, 0, 0
	for i := range r.shards {
		c := &m.runs[i]
		c.a, c.b = r.shards[i].between(heads[i], m.tails[i])
		if k := len(c.a) + len(c.b); k > 0 {
			total, active, last = total+k, active+1, i
		}
	}
	switch active {
	case 0:
		return dst
	case 1:
		dst = append(append(dst, m.runs[last].a...), m.runs[last].b...)
	default:
		dst = m.merge(slices.Grow(dst, total))
	}
	for i := range r.shards {
		r.release(&r.shards[i], m.tails[i]) // holds r past the copies: see newShardedRing
		m.runs[i].a, m.runs[i].b, m.runs[i].frame = nil, nil, nil
	}
	return dst
}

// merge appends the frames of the runs to dst, oldest first.
func (m *ringMerge) merge(dst []byte) []byte {
	for i := range m.runs {
		m.runs[i].start()
	}
	for {
		best := -1
		for i := range m.runs {
			if c := &m.runs[i]; c.frame != nil && (best < 0 || c.ts < m.runs[best].ts) {
				best = i
			}
		}
		if best < 0 {
			return dst
		}
		c := &m.runs[best]
		dst = append(dst, c.frame...)
		c.next()
	}
}
