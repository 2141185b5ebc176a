package script

import (
	"math"
	"strings"
)

// levels are the eighths of a cell, from empty to full.
var levels = []rune(" ▁▂▃▄▅▆▇█")

// Sparkline draws values (a slice of numbers: []int, []float64, …) on one
// line, one block character each, from the bottom of the line for the
// lowest (or 0, if none is negative) to full height for the largest:
//
//	▁▂▃▅▂▇█▆▅
//
// Only the last width values are drawn (0: DefaultWidth), so that a
// growing history scrolls. NaNs and infinities draw blank. It panics if
// values is not a slice of numbers.
func Sparkline(values any, width int) string {
	vs := numbersOf("Sparkline", values)
	vs = vs[max(len(vs)-drawWidth(width), 0):]
	lo, hi := bounds(vs)
	var b strings.Builder
	for _, v := range vs {
		b.WriteRune(levels[eighths(v, lo, hi, 1)])
	}
	return strings.TrimRight(b.String(), " ") + "\n"
}

// Chart draws values over time as jstrace's chart did: one column per
// value, height rows high (0: 8; at most 100), with the scale on the left
// and the time axis below; the last values that fit in width (0:
// DefaultWidth) are drawn, so that a growing history scrolls left:
//
//	120 ┤      ▄█
//	    │    ▂███▆
//	    │  ▁▅██████
//	  0 ┤▃▇████████
//	    └──────────
//
// The scale runs from the lowest value (or 0, if none is negative) to the
// largest. It panics if values is not a slice of numbers.
func Chart(values any, width, height int) string {
	vs := numbersOf("Chart", values)
	switch {
	case height <= 0:
		height = 8
	case height > 100:
		height = 100
	}
	lo, hi := bounds(vs)
	top, bottom := formatNum(hi), formatNum(lo)
	labelW := max(widthOf(top), widthOf(bottom))
	cols := max(drawWidth(width)-labelW-2, 1)
	vs = vs[max(len(vs)-cols, 0):]
	var b strings.Builder
	for row := height - 1; row >= 0; row-- { // from the top
		switch row {
		case height - 1:
			b.WriteString(padLeft(top, labelW) + " ┤")
		case 0:
			b.WriteString(padLeft(bottom, labelW) + " ┤")
		default:
			b.WriteString(strings.Repeat(" ", labelW) + " │")
		}
		var line strings.Builder
		for _, v := range vs {
			fill := eighths(v, lo, hi, height) - 8*row
			line.WriteRune(levels[min(max(fill, 0), 8)])
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	b.WriteString(strings.Repeat(" ", labelW) + " └" + strings.Repeat("─", len(vs)) + "\n")
	return b.String()
}

// bounds returns the scale of values: from their lowest (0 if none is
// negative) to their largest, never empty.
func bounds(vs []float64) (lo, hi float64) {
	for _, v := range vs {
		if finite(v) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if hi == lo {
		hi = lo + 1
	}
	return lo, hi
}

// eighths returns the height of v in eighths of a cell, on a scale of
// rows cells from lo to hi: 0 for lo, 8×rows for hi.
// NaNs and infinities draw 0. (Halves keep a scale from -MaxFloat64 to
// MaxFloat64 finite.)
func eighths(v, lo, hi float64, rows int) int {
	e := math.Round((v/2 - lo/2) / (hi/2 - lo/2) * float64(8*rows))
	if !finite(e) {
		return 0
	}
	return int(min(max(e, 0), float64(8*rows)))
}

// maxPoints bounds the values a Series keeps: wider than any drawing.
const maxPoints = maxDrawWidth

// A Series keeps the last 1000 values added to it, for Chart and
// Sparkline: a script adds one per interval and draws Values. The zero
// value is empty and ready. A Series is not safe for concurrent use; a
// script's handlers and callbacks run one at a time.
type Series struct {
	values []float64
}

// Add appends v, forgetting the oldest value when the Series holds 1000.
func (s *Series) Add(v float64) {
	if len(s.values) == maxPoints {
		s.values = append(s.values[:0], s.values[1:]...)
	}
	s.values = append(s.values, v)
}

// Values returns the values, the oldest first. The slice is the
// Series': it changes with the next Add.
func (s *Series) Values() []float64 { return s.values }
