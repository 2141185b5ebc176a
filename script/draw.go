package script

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jstrace-go/jstrace/internal/printable"
)

// Drawing: Bars, Quantize, QuantizeValues, Sparkline, Chart and Table
// return text, lines ended by newlines, at most width columns wide (a
// width of 0 means DefaultWidth; widths are bounded to [20, 1000]). They
// are pure functions, safe to call from any goroutine; Traces.Draw shows
// what they return, redrawn in place on the CLI's terminal. Columns are
// counted in runes: East Asian wide characters in labels misalign.

// DefaultWidth is the width drawings take when given 0, and what
// Traces.Width returns in Remote and when the CLI's output is not a
// terminal (unless $COLUMNS says otherwise).
const DefaultWidth = 80

const (
	minDrawWidth = 20
	maxDrawWidth = 1000
	// maxRows bounds the rows of Bars and Table: the rest are counted in
	// a last line.
	maxRows = 1000
)

// drawWidth returns width bounded to [minDrawWidth, maxDrawWidth], 0 or
// less being DefaultWidth.
func drawWidth(width int) int {
	if width <= 0 {
		return DefaultWidth
	}
	return min(max(width, minDrawWidth), maxDrawWidth)
}

// formatNum formats a value compactly: integers as such (up to 1e15),
// anything else with 4 significant digits.
func formatNum(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// cell makes s fit a cell of a drawing: control characters and newlines
// escaped (they would break the drawing's lines), at most w runes, cut
// with "…".
func cell(s string, w int) string {
	s = printable.Field(s)
	if utf8.RuneCountInString(s) <= w {
		return s
	}
	if w <= 1 {
		return "…"[:min(w, 1)*len("…")]
	}
	r := []rune(s)
	return string(r[:w-1]) + "…"
}

// widthOf returns the columns s takes (its runes).
func widthOf(s string) int { return utf8.RuneCountInString(s) }

// padLeft and padRight pad s with spaces to w columns.
func padLeft(s string, w int) string  { return strings.Repeat(" ", max(w-widthOf(s), 0)) + s }
func padRight(s string, w int) string { return s + strings.Repeat(" ", max(w-widthOf(s), 0)) }

// number returns v as a float64 if it is of a numeric kind.
func number(v reflect.Value) (float64, bool) {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(v.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return float64(v.Uint()), true
	case reflect.Float32, reflect.Float64:
		return v.Float(), true
	}
	return 0, false
}

// numbersOf returns the values of a slice or array of numbers ([]int,
// []float64, []time.Duration, …): what Sparkline, Chart and
// QuantizeValues draw. It panics, naming fn, on anything else.
func numbersOf(fn string, values any) []float64 {
	if f, ok := values.([]float64); ok {
		return f
	}
	v := reflect.ValueOf(values)
	if v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
		panic(fmt.Sprintf("script.%s: want a slice of numbers, not %T", fn, values))
	}
	out := make([]float64, v.Len())
	for i := range out {
		f, ok := number(v.Index(i))
		if !ok {
			panic(fmt.Sprintf("script.%s: want a slice of numbers, not %T", fn, values))
		}
		out[i] = f
	}
	return out
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
