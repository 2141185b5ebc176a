package script

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Bars draws one horizontal bar per label, the longest first, as
// jstrace's bars did:
//
//	200 | ============================================ | 6
//	404 | =============================                | 4
//
// data is a map from labels (strings, numbers or bools) to numbers
// (map[int]int of counts by status, map[string]float64, …), or the
// []Group an Aggregation returns, drawn by Count. Bars scale to the
// largest value; negative values, NaNs and infinities draw empty bars
// (the last two drawn last). Labels are cut to a third of the width; the
// values are never cut, nor the bars narrowed below one column, so that
// below about 40 columns lines with long values overflow the width. At
// most 1000 rows are drawn, and a last line counts the rest. width is the
// drawing's (0: DefaultWidth). Bars panics on data of another type.
func Bars(data any, width int) string {
	rows := barsOf(data)
	slices.SortFunc(rows, func(a, b bar) int {
		if va, vb := sortValue(a.value), sortValue(b.value); va != vb {
			if va > vb {
				return -1
			}
			return 1
		}
		return strings.Compare(a.label, b.label)
	})
	more := 0
	if len(rows) > maxRows {
		rows, more = rows[:maxRows], len(rows)-maxRows
	}
	width = drawWidth(width)
	labelW, valueW, most := 0, 0, 0.0
	for i := range rows {
		rows[i].label = cell(rows[i].label, width/3)
		labelW = max(labelW, widthOf(rows[i].label))
		valueW = max(valueW, len(formatNum(rows[i].value)))
		if finite(rows[i].value) {
			most = max(most, rows[i].value)
		}
	}
	barW := max(width-2-labelW-3-3-valueW, 1)
	var b strings.Builder
	for _, r := range rows {
		n := 0
		if most > 0 && r.value > 0 && finite(r.value) {
			n = min(int(r.value/most*float64(barW)+0.5), barW)
		}
		fmt.Fprintf(&b, "  %s | %s%s | %s\n", padLeft(r.label, labelW),
			strings.Repeat("=", n), strings.Repeat(" ", barW-n), formatNum(r.value))
	}
	if more > 0 {
		fmt.Fprintf(&b, "  … %d more\n", more)
	}
	return b.String()
}

// sortValue orders NaNs and infinities after every finite value.
func sortValue(v float64) float64 {
	if !finite(v) {
		return math.Inf(-1)
	}
	return v
}

type bar struct {
	label string
	value float64
}

// barsOf reads Bars' data.
func barsOf(data any) []bar {
	if gs, ok := data.([]Group); ok {
		rows := make([]bar, len(gs))
		for i, g := range gs {
			rows[i] = bar{g.Key, float64(g.Count)}
		}
		return rows
	}
	v := reflect.ValueOf(data)
	if v.Kind() != reflect.Map {
		panic(fmt.Sprintf("script.Bars: want a map from labels to numbers or a []script.Group, not %T", data))
	}
	rows := make([]bar, 0, v.Len())
	for it := v.MapRange(); it.Next(); {
		label, okL := labelOf(it.Key())
		value, okV := number(it.Value())
		if !okL || !okV {
			panic(fmt.Sprintf("script.Bars: want a map from labels to numbers or a []script.Group, not %T", data))
		}
		rows = append(rows, bar{label, value})
	}
	return rows
}

// labelOf formats a map key: a string, number or bool, by its kind (no
// String method of a script's type is called).
func labelOf(k reflect.Value) (string, bool) {
	switch k.Kind() {
	case reflect.String:
		return k.String(), true
	case reflect.Bool:
		return strconv.FormatBool(k.Bool()), true
	}
	if f, ok := number(k); ok {
		if k.CanInt() {
			return strconv.FormatInt(k.Int(), 10), true
		}
		if k.CanUint() {
			return strconv.FormatUint(k.Uint(), 10), true
		}
		return formatNum(f), true
	}
	return "", false
}
