package script

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Quantize draws the distribution of a group's values (an Aggregation's
// Of field) as DTrace's quantize does: one row per power of two, from the
// row below the lowest value to the row above the highest, each with a
// bar of @ in proportion to its share of the values and its count. The
// row of value v counts the values from v up to the next row's value (for
// negative rows, from v down to the next):
//
//	GET /users
//	         value  ------------- Distribution ------------- count
//	             1 |                                         0
//	             2 |@@@@@@@@@@@@@@@@@@@@                     2
//	             4 |@@@@@@@@@@@@@@@@@@@@                     2
//	             8 |                                         0
//
// A key names the group on the first line. Values are as the Of field
// holds them: durations in nanoseconds. A group without an Of field has no
// distribution: Quantize says so in one line. width is the drawing's (0:
// DefaultWidth); the bars take what the value and count columns leave,
// but at least 10 columns, so that the narrowest widths overflow.
func Quantize(g Group, width int) string {
	return quantize(g.Key, &g.hist, width)
}

// QuantizeValues draws values (a slice of numbers: []int, []float64,
// []time.Duration in nanoseconds, …) as Quantize draws a group's; NaNs and
// infinities are left out. It panics if values is not a slice of numbers.
func QuantizeValues(values any, width int) string {
	var h histogram
	for _, v := range numbersOf("QuantizeValues", values) {
		if finite(v) {
			h.add(v)
		}
	}
	return quantize("", &h, width)
}

// A pow2 is a row of Quantize: the values of magnitude [2^exp, 2^(exp+1))
// of a sign, or the zeros.
type pow2 struct {
	sign  int // -1, 0 (the zeros: exp unused), 1
	exp   int
	count uint64
}

func (r pow2) label() string {
	if r.sign == 0 {
		return "0"
	}
	return formatNum(float64(r.sign) * math.Ldexp(1, r.exp))
}

// pow2Rows collapses h's log-linear buckets into powers of two: every
// bucket lies within one (its 16 parts of a power of two). The rows run
// from the lowest value to the highest, with every power of two between
// them, and one more at each end, as DTrace draws them.
func pow2Rows(h *histogram) []pow2 {
	neg, pos := pow2Counts(&h.neg), pow2Counts(&h.pos)
	// Candidate rows: the negatives' exponents down to -1's (0) at
	// least, the zeros, the positives' from 1's (exponent 0) at least.
	var all []pow2
	negHi, negLo := 0, 0
	if len(neg.n) > 0 {
		negHi, negLo = neg.off+len(neg.n), min(neg.off, 0)
	}
	for e := negHi; e >= negLo; e-- {
		all = append(all, pow2{sign: -1, exp: e, count: neg.at(e)})
	}
	all = append(all, pow2{sign: 0, count: h.zeros})
	posLo, posHi := 0, 0
	if len(pos.n) > 0 {
		posLo, posHi = min(pos.off, 0), pos.off+len(pos.n)
	}
	for e := posLo; e <= posHi; e++ {
		all = append(all, pow2{sign: 1, exp: e, count: pos.at(e)})
	}
	first, last := -1, -1
	for i, r := range all {
		if r.count > 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return nil
	}
	return all[max(first-1, 0):min(last+2, len(all))]
}

// powCounts are counts by exponent, from off.
type powCounts struct {
	off int
	n   []uint64
}

func (p powCounts) at(e int) uint64 {
	if i := e - p.off; i >= 0 && i < len(p.n) {
		return p.n[i]
	}
	return 0
}

// pow2Counts sums log-linear buckets by power of two: bucket i holds
// magnitudes in [2^(i>>subBits - 1), 2^(i>>subBits)).
func pow2Counts(b *buckets) powCounts {
	var p powCounts
	for j, c := range b.n {
		if c == 0 {
			continue
		}
		e := int((b.off+int32(j))>>subBits) - 1
		if len(p.n) == 0 {
			p.off = e
		}
		for e >= p.off+len(p.n) {
			p.n = append(p.n, 0)
		}
		p.n[e-p.off] += c
	}
	return p
}

// quantize draws h, titled key if not "".
func quantize(key string, h *histogram, width int) string {
	width = drawWidth(width)
	var b strings.Builder
	if key != "" {
		fmt.Fprintf(&b, "  %s\n", cell(key, width-2))
	}
	rows := pow2Rows(h)
	if len(rows) == 0 {
		b.WriteString("  (no values)\n")
		return b.String()
	}
	valueW, countW := len("value"), len("count")
	var total uint64
	for _, r := range rows {
		valueW = max(valueW, len(r.label()))
		countW = max(countW, len(strconv.FormatUint(r.count, 10)))
		total += r.count
	}
	valueW += 2 // DTrace's indent
	barW := max(width-valueW-3-countW, 10)
	title := " Distribution "
	dashes := max(barW-len(title), 0)
	fmt.Fprintf(&b, "%s  %s%s%s count\n", padLeft("value", valueW),
		strings.Repeat("-", dashes/2), title, strings.Repeat("-", dashes-dashes/2))
	for _, r := range rows {
		n := int((float64(r.count)*float64(barW))/float64(total) + 0.5)
		fmt.Fprintf(&b, "%s |%s%s %d\n", padLeft(r.label(), valueW),
			strings.Repeat("@", n), strings.Repeat(" ", barW-n), r.count)
	}
	return b.String()
}
