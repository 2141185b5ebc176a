package script

import (
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDraw feeds labels and cells from outside (probe fields) to Bars and
// Table: whatever they hold, the drawings never panic, keep within the
// width (40 and over), and hold no control character but newlines.
func FuzzDraw(f *testing.F) {
	f.Add("GET /users/{id}", "1.5ms", 80, 3.5)
	f.Add("a\nb\x1b[2J", "\u202e\xff", 40, -1.0)
	f.Add(strings.Repeat("é", 300), "", 1000, 1e300)
	f.Add("nan", "x", 80, math.NaN())
	f.Add("inf", "x", 80, math.Inf(1))
	f.Fuzz(func(t *testing.T, label, cellText string, width int, v float64) {
		width = 40 + (width%1000+1000)%1000
		for name, out := range map[string]string{
			"bars":  Bars(map[string]float64{label: v, cellText: 1}, width),
			"table": Table([][]string{{label, "N"}, {cellText, label}, {"x"}}, width),
		} {
			if !utf8.ValidString(out) {
				t.Errorf("%s: not UTF-8: %q", name, out)
			}
			for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				if n := utf8.RuneCountInString(l); n > width {
					t.Errorf("%s: line of %d runes at width %d: %q", name, n, width, l)
				}
				for _, r := range l {
					if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
						t.Errorf("%s: control character %U in %q", name, r, l)
					}
				}
			}
		}
	})
}
