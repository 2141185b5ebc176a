package script

import (
	"math"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

// A histogram counts values in buckets, as its layout cuts them. By
// default (log-linear) every power of two is cut into subBuckets equal
// parts, so a value is known to within 1/16 of itself (a quantile is off
// by at most 1/32, ~3%: it is reported as the middle of its bucket);
// positive and negative values have buckets of their own; zeros are
// counted apart. Pow2 has one bucket per power of two, likewise; Linear
// counts every value in pos, from bucket -1 (below lo) to n (hi and over).
// Histograms of the same layout and values merge exactly.
type histogram struct {
	lay      layout
	pos, neg buckets // by magnitude
	zeros    uint64
}

// A layout is how a histogram cuts values: a Hist, as stored per group.
type layout struct {
	kind     protocol.HistKind
	lo, step float64
	n        int32
}

func layoutOf(h Hist) layout {
	return layout{kind: h.kind, lo: h.lo, step: h.step, n: int32(h.n)}
}

// hist returns the Hist of l.
func (l layout) hist() Hist {
	return Hist{kind: l.kind, lo: l.lo, step: l.step, n: int(l.n)}
}

// mid returns the middle of bucket i (of pos; negate for neg).
func (l layout) mid(i int32) float64 {
	lo, hi := l.bounds(i)
	switch {
	case math.IsInf(lo, -1):
		return hi
	case math.IsInf(hi, 1):
		return lo
	}
	return lo + (hi-lo)/2
}

// bounds returns the range [lo, hi) of bucket i (of pos).
func (l layout) bounds(i int32) (lo, hi float64) {
	switch l.kind {
	case protocol.HistLinear:
		switch {
		case i < 0:
			return math.Inf(-1), l.lo
		case i >= l.n:
			return l.lo + float64(l.n)*l.step, math.Inf(1)
		}
		return l.lo + float64(i)*l.step, l.lo + float64(i+1)*l.step
	case protocol.HistPow2:
		return math.Ldexp(1, int(i)), math.Ldexp(1, int(i)+1)
	}
	exp := i >> subBits // floor division: i may be negative
	sub := i & (subBuckets - 1)
	return math.Ldexp(1+float64(sub)/subBuckets, int(exp)-1), math.Ldexp(1+float64(sub+1)/subBuckets, int(exp)-1)
}

const (
	subBits    = 4
	subBuckets = 1 << subBits
	// maxSpan bounds the buckets of one sign: 64 powers of two (say 1 ns to
	// 584 years) at full resolution, 8 KiB. Values beyond the span are
	// counted in its edge bucket; Min and Max stay exact.
	maxSpan = 64 * subBuckets
)

// bucketOf returns the bucket of a finite v > 0: with v = frac × 2^exp,
// frac in [0.5, 1), the bucket is exp×subBuckets plus the sub-bucket of
// frac, (2×frac−1)×subBuckets rounded down.
//
// For a normal v that is its bits read as an integer: the biased exponent
// (exp+1022) and the mantissa's top subBits bits, which are the
// sub-bucket, are the bits under the sign, so one shift and one
// subtraction give the bucket, inlined (math.Frexp is a call, on the
// probe's path). A subnormal, whose exponent field is 0, is first made
// normal by an exact multiplication by 2^64. TestBucketOfBits compares
// this with the definition, by math.Frexp.
func bucketOf(v float64) int32 {
	var sub int32
	if math.Float64bits(v)>>52 == 0 {
		v, sub = v*0x1p64, 64*subBuckets
	}
	return int32(math.Float64bits(v)>>(52-subBits)) - 1022*subBuckets - sub
}

func (h *histogram) add(v float64) {
	if b, i := h.slot(v); b != nil {
		b.add(i, 1)
	} else {
		h.zeros++
	}
}

// slot returns the buckets and the bucket that count v; nil for a zero.
// Log-linear, the default, is the fast path (bucketOf, inlined).
func (h *histogram) slot(v float64) (*buckets, int32) {
	if h.lay.kind != protocol.HistLogLinear {
		return h.slotOther(v)
	}
	var b *buckets
	switch {
	case v > 0:
		b = &h.pos
	case v < 0:
		b, v = &h.neg, -v
	default: // a zero (or a NaN, which callers filter out)
		return nil, 0
	}
	return b, bucketOf(v)
}

// slotOther is slot for the Linear and Pow2 layouts.
func (h *histogram) slotOther(v float64) (*buckets, int32) {
	if h.lay.kind == protocol.HistLinear {
		x := (v - h.lay.lo) / h.lay.step
		switch {
		case x < 0:
			return &h.pos, -1
		case x >= float64(h.lay.n):
			return &h.pos, h.lay.n
		}
		return &h.pos, int32(x)
	}
	switch { // Pow2
	case v > 0:
		_, exp := math.Frexp(v)
		return &h.pos, int32(exp - 1)
	case v < 0:
		_, exp := math.Frexp(-v)
		return &h.neg, int32(exp - 1)
	}
	return nil, 0
}

func (h *histogram) merge(o *histogram) {
	h.pos.merge(&o.pos)
	h.neg.merge(&o.neg)
	h.zeros += o.zeros
}

func (h histogram) clone() histogram {
	h.pos.n = append([]uint64(nil), h.pos.n...)
	h.neg.n = append([]uint64(nil), h.neg.n...)
	return h
}

// quantile returns the value of rank q×(n-1) among n values, from the
// lowest: the middle of the bucket it falls in.
func (h *histogram) quantile(q float64, n uint64) float64 {
	rank := uint64(q * float64(n-1))
	seen := uint64(0)
	for j := len(h.neg.n) - 1; j >= 0; j-- { // the most negative first
		if seen += h.neg.n[j]; seen > rank {
			return -h.lay.mid(h.neg.off + int32(j))
		}
	}
	if seen += h.zeros; seen > rank {
		return 0
	}
	for j, c := range h.pos.n {
		if seen += c; seen > rank {
			return h.lay.mid(h.pos.off + int32(j))
		}
	}
	return math.NaN() // n was more than the histogram holds
}

// buckets are the counts of a contiguous range of bucket indexes, from off.
type buckets struct {
	off int32
	n   []uint64
}

// initialBuckets is the capacity of a histogram's first buckets of a sign.
const initialBuckets = 16

// grownCap is the capacity buckets of capacity c get when they must hold n
// (n > c): doubled, within maxSpan, so that growth is amortized and its
// cost known before it happens (see growth).
func grownCap(n, c int) int { return max(n, min(2*c, maxSpan)) }

// span returns the range of indexes b must cover to count bucket i, and
// the index i is counted in (the edge of the span, for an outlier).
func (b *buckets) span(i int32) (lo, hi, at int32) {
	end := b.off + int32(len(b.n))
	switch {
	case len(b.n) == 0:
		return i, i + 1, i
	case i < b.off:
		lo = max(i, end-maxSpan)
		return lo, end, lo
	case i >= end:
		hi = min(i, b.off+maxSpan-1)
		return b.off, hi + 1, hi
	}
	return b.off, end, i
}

// growth returns the bytes by which counting bucket i would grow b's
// array (the old one is then garbage).
func (b *buckets) growth(i int32) int64 {
	if uint32(i-b.off) < uint32(len(b.n)) { // the common case: in range
		return 0
	}
	lo, hi, _ := b.span(i)
	switch n := int(hi - lo); {
	case len(b.n) == 0:
		return 8 * initialBuckets
	case lo < b.off: // a new array, with the room below
		return 8 * int64(b.off-lo)
	case n > cap(b.n):
		return 8 * int64(grownCap(n, cap(b.n))-cap(b.n))
	}
	return 0
}

func (b *buckets) add(i int32, c uint64) {
	if j := uint32(i - b.off); j < uint32(len(b.n)) { // the common case: in range
		b.n[j] += c
		return
	}
	lo, hi, at := b.span(i)
	switch n := int(hi - lo); {
	case len(b.n) == 0:
		b.off, b.n = i, make([]uint64, 1, initialBuckets)
	case lo < b.off:
		grown := make([]uint64, n, int(b.off-lo)+cap(b.n))
		copy(grown[b.off-lo:], b.n)
		b.off, b.n = lo, grown
	case n > cap(b.n):
		grown := make([]uint64, n, grownCap(n, cap(b.n)))
		copy(grown, b.n)
		b.n = grown
	case n > len(b.n):
		old := len(b.n)
		b.n = b.n[:n]
		clear(b.n[old:])
	}
	b.n[at-b.off] += c
}

func (b *buckets) merge(o *buckets) {
	for j, c := range o.n {
		if c != 0 {
			b.add(o.off+int32(j), c)
		}
	}
}

// count returns how many values the histogram holds.
func (h *histogram) count() uint64 {
	n := h.zeros
	for _, c := range h.pos.n {
		n += c
	}
	for _, c := range h.neg.n {
		n += c
	}
	return n
}
