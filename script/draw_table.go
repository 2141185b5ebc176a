package script

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Table aligns rows in columns two spaces apart, the first row being the
// header:
//
//	ROUTE        REQ/S  P99
//	GET /users     120  1.2ms
//	POST /orders     8  35ms
//
// A column whose cells (the header's aside) are all numbers or durations
// ("12", "0.5", "1.2ms"; empty cells aside) is aligned right, any other
// left. When the columns are wider than width (0: DefaultWidth), the
// widest are narrowed and their cells cut with "…"; columns beyond a
// third of the width are left out. Rows may have fewer cells than others;
// lines carry no trailing spaces. At most 1000 rows after the header are
// drawn, and a last line counts the rest.
func Table(rows [][]string, width int) string {
	if len(rows) == 0 {
		return ""
	}
	more := 0
	if len(rows) > maxRows+1 {
		rows, more = rows[:maxRows+1], len(rows)-maxRows-1
	}
	width = drawWidth(width)
	ncol := 0
	for _, r := range rows {
		ncol = max(ncol, len(r))
	}
	ncol = min(ncol, width/3) // a column takes at least 1 rune and 2 spaces
	cells := make([][]string, len(rows))
	colW := make([]int, ncol)
	right := make([]bool, ncol)
	for c := range right {
		right[c] = len(rows) > 1
	}
	for i, r := range rows {
		cells[i] = make([]string, ncol)
		for c := 0; c < ncol && c < len(r); c++ {
			cells[i][c] = cell(r[c], width)
			colW[c] = max(colW[c], widthOf(cells[i][c]))
			if i > 0 && r[c] != "" && !numeric(r[c]) {
				right[c] = false
			}
		}
	}
	fit(colW, width-2*(ncol-1))
	var b strings.Builder
	for _, r := range cells {
		var line strings.Builder
		for c, s := range r {
			if c > 0 {
				line.WriteString("  ")
			}
			s = cell(s, colW[c])
			if right[c] {
				line.WriteString(padLeft(s, colW[c]))
			} else {
				line.WriteString(padRight(s, colW[c]))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	if more > 0 {
		fmt.Fprintf(&b, "… %d more\n", more)
	}
	return b.String()
}

// fit caps the widths w of columns at the largest width under which they
// take at most total runes (at least 1 each).
func fit(w []int, total int) {
	capped := func(c int) int {
		sum := 0
		for _, x := range w {
			sum += min(x, c)
		}
		return sum
	}
	widest := 0
	for _, x := range w {
		widest = max(widest, x)
	}
	if capped(widest) <= total {
		return
	}
	lo, hi := 1, widest // capped(lo) fits, or nothing does; capped(hi) does not
	for lo+1 < hi {
		if mid := (lo + hi) / 2; capped(mid) <= total {
			lo = mid
		} else {
			hi = mid
		}
	}
	for i := range w {
		w[i] = min(w[i], lo)
	}
}

// numeric reports whether s reads as a number or a duration.
func numeric(s string) bool {
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return true
	}
	_, err := time.ParseDuration(s)
	return err == nil
}
