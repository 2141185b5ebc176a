package link

import "sync/atomic"

// DefaultMaxAggregationBytes bounds the memory of one Aggregation's groups
// when its host sets no other bound (AggLimits.MaxBytes): their keys,
// counts and distributions.
const DefaultMaxAggregationBytes = 4 << 20

// AggLimits bound the memory of an Aggregation. Its host sets them through
// Feed.Limit before it feeds the Aggregation; traces that would take more
// are left out and counted in Dropped, as beyond MaxGroups. It is a value,
// copied by Feed.Limit; the Pool it points to is shared.
type AggLimits struct {
	// MaxBytes bounds what the Aggregation's groups hold.
	// Default (0): DefaultMaxAggregationBytes.
	MaxBytes int64
	// Pool, if not nil, is a bound shared with other Aggregations (a
	// session's). Default: nil, none.
	Pool *Pool
}

// A Pool is a budget of bytes that Aggregations share: what their groups
// hold is taken from it, and given back when Take hands the groups to the
// script. It is safe for concurrent use. A nil *Pool is unbounded.
type Pool struct {
	limit int64
	used  atomic.Int64
}

// NewPool returns a Pool of limit bytes.
func NewPool(limit int64) *Pool { return &Pool{limit: limit} }

// Used returns the bytes the Aggregations of the Pool hold now.
func (p *Pool) Used() int64 { return p.used.Load() }

// Limit returns the Pool's size in bytes.
func (p *Pool) Limit() int64 { return p.limit }

// Take reserves n bytes, if the pool has them; a nil Pool always has.
func (p *Pool) Take(n int64) bool {
	if p == nil {
		return true
	}
	if p.used.Add(n) > p.limit {
		p.used.Add(-n)
		return false
	}
	return true
}

// Give returns n bytes taken before.
func (p *Pool) Give(n int64) {
	if p != nil && n != 0 {
		p.used.Add(-n)
	}
}

// Hold counts n bytes as held, beyond the limit if need be: what an
// Aggregation already holds when its host gives it the Pool.
func (p *Pool) Hold(n int64) {
	if p != nil && n != 0 {
		p.used.Add(n)
	}
}
