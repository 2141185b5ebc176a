package script

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jstrace-go/jstrace/internal/golden"
)

// widths are those every drawing is checked at: the narrowest drawn, a
// narrow terminal, the default, a wide one.
var widths = []int{20, 40, 0, 132}

// atWidths draws at every width, each drawing under a line naming it.
func atWidths(draw func(width int) string) string {
	var b strings.Builder
	for _, w := range widths {
		fmt.Fprintf(&b, "--- width %d\n%s", w, draw(w))
	}
	return b.String()
}

// groupOf returns the group an Aggregation with an Of field would keep of
// values.
func groupOf(key string, values ...float64) Group {
	g := Group{Key: key}
	for _, v := range values {
		g.Merge(Group{Count: 1, Sum: v, Min: v, Max: v, hist: histOf(v)})
	}
	return g
}

func histOf(values ...float64) histogram {
	var h histogram
	for _, v := range values {
		h.add(v)
	}
	return h
}

// latencies are request durations in nanoseconds, spread over powers of
// two from 20µs to 40ms.
func latencies() []float64 {
	var vs []float64
	for i := 0; i < 200; i++ {
		vs = append(vs, float64(20*time.Microsecond)*math.Pow(2000, float64(i%97)/96)*(1+float64(i%7)/10))
	}
	return vs
}

func TestDrawGolden(t *testing.T) {
	statuses := map[int]int{200: 6, 404: 4, 500: 4, 505: 3, 400: 2, 201: 1}
	var ramp, wave []float64
	for i := 0; i < 150; i++ {
		ramp = append(ramp, float64(i))
		wave = append(wave, 50+40*math.Sin(float64(i)/6))
	}
	tests := []struct {
		name string
		draw func(width int) string
	}{
		{"bars-status", func(w int) string { return Bars(statuses, w) }},
		{"bars-labels", func(w int) string {
			return Bars(map[string]float64{"GET /users/{id}": 1.5, "POST /orders/{id}/items/{item}/and/a/very/long/route": 12.25, "x": 0, "neg": -3}, w)
		}},
		{"bars-groups", func(w int) string {
			return Bars([]Group{{Key: "GET /a", Count: 1200}, {Key: "GET /b", Count: 7}, {Key: "POST /c", Count: 300}}, w)
		}},
		{"bars-nonfinite", func(w int) string {
			return Bars(map[string]float64{"nan": math.NaN(), "inf": math.Inf(1), "-inf": math.Inf(-1), "max": math.MaxFloat64, "one": 1}, w)
		}},
		{"bars-empty", func(w int) string { return Bars(map[string]int{}, w) }},
		{"quantize-latency", func(w int) string { return Quantize(groupOf("GET /users", latencies()...), w) }},
		{"quantize-signed", func(w int) string {
			return QuantizeValues([]int{-9, -5, -4, -1, 0, 0, 0, 1, 2, 3, 3, 3, 700}, w)
		}},
		{"quantize-fractions", func(w int) string {
			return QuantizeValues([]float64{0.3, 0.3, 0.7, 0.1, math.NaN(), math.Inf(1)}, w)
		}},
		{"quantize-one", func(w int) string { return QuantizeValues([]time.Duration{1}, w) }},
		{"quantize-zeros", func(w int) string { return QuantizeValues([]uint8{0, 0}, w) }},
		{"quantize-count-only", func(w int) string { return Quantize(Group{Key: "200", Count: 3}, w) }},
		{"sparkline-ramp", func(w int) string { return Sparkline(ramp, w) }},
		{"sparkline-signed", func(w int) string { return Sparkline([]int{-4, -2, 0, 2, 4, 8, 0, -4}, w) }},
		{"sparkline-extremes", func(w int) string {
			return Sparkline([]float64{-math.MaxFloat64, 0, math.MaxFloat64, math.NaN(), math.Inf(-1), 1}, w)
		}},
		{"sparkline-zeros", func(w int) string { return Sparkline([]int{0, 0, 0}, w) }},
		{"chart-wave", func(w int) string { return Chart(wave, w, 0) }},
		{"chart-ramp-4", func(w int) string { return Chart(ramp[:30], w, 4) }},
		{"chart-signed-3", func(w int) string { return Chart([]float64{-1.5, 0, 1.5, 3, math.NaN(), 3}, w, 3) }},
		{"chart-extremes-2", func(w int) string {
			return Chart([]float64{-math.MaxFloat64, 0, math.MaxFloat64, math.NaN(), math.Inf(1), 1}, w, 2)
		}},
		{"chart-empty", func(w int) string { return Chart([]int{}, w, 2) }},
		{"table-latency", func(w int) string {
			return Table([][]string{
				{"LAYER", "ROUTE", "REQ/S", "MEAN", "MAX"},
				{"recover", "GET /users/{id}", "120", "1.2ms", "35ms"},
				{"cache", "GET /users/{id}", "7", "250µs", "1.5ms"},
				{"slow", "GET /slow", "1", "101ms", "103ms"},
			}, w)
		}},
		{"table-ragged", func(w int) string {
			return Table([][]string{
				{"KEY", "VALUE"},
				{"a line\nbreak", "x"},
				{"only a key"},
				{"k", "a value long enough to be cut when the table is narrower than it is", "an extra cell"},
			}, w)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden.Check(t, tt.name, atWidths(tt.draw))
		})
	}
}

// TestDrawFitsWidth: at a width of 40 and more, no line of any drawing is
// wider.
func TestDrawFitsWidth(t *testing.T) {
	long := strings.Repeat("x", 300)
	var many []float64
	for i := 0; i < 2000; i++ {
		many = append(many, float64(i*i))
	}
	draws := map[string]func(int) string{
		"bars":     func(w int) string { return Bars(map[string]int{long: 1 << 40, "b": 1}, w) },
		"quantize": func(w int) string { return Quantize(groupOf(long, many...), w) },
		"spark":    func(w int) string { return Sparkline(many, w) },
		"chart":    func(w int) string { return Chart(many, w, 5) },
		"table": func(w int) string {
			return Table([][]string{{long, "b", long}, {"1", long, "3"}}, w)
		},
	}
	for name, draw := range draws {
		for _, w := range []int{40, 80, 200, 1000} {
			t.Run(fmt.Sprintf("%s/%d", name, w), func(t *testing.T) {
				out := draw(w)
				if !strings.HasSuffix(out, "\n") {
					t.Errorf("no final newline: %q", out)
				}
				for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
					if n := utf8.RuneCountInString(l); n > w {
						t.Errorf("line of %d runes, wider than %d: %q", n, w, l)
					}
				}
			})
		}
	}
}

// TestQuantizeCounts: the counts of Quantize's rows add up to the group's,
// whatever the values, and each value is counted in its power of two.
func TestQuantizeCounts(t *testing.T) {
	tests := []struct {
		values []float64
		rows   map[string]uint64 // rows with a count
	}{
		{[]float64{1, 1.99, 2, 3.5, 4}, map[string]uint64{"1": 2, "2": 2, "4": 1}},
		{[]float64{-1, -1.5, -2, 0, 0.5, 0.74}, map[string]uint64{"-2": 1, "-1": 2, "0": 1, "0.5": 2}},
		{[]float64{1e6, 1048575, 1048576}, map[string]uint64{"524288": 2, "1048576": 1}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.values), func(t *testing.T) {
			h := histOf(tt.values...)
			got := map[string]uint64{}
			for _, r := range pow2Rows(&h) {
				if r.count > 0 {
					got[r.label()] = r.count
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.rows) {
				t.Errorf("rows %v, want %v", got, tt.rows)
			}
		})
	}
}

// TestBarsOrder: longest bar first, ties by label; the largest fills the
// bar, half of it half.
func TestBarsOrder(t *testing.T) {
	got := Bars(map[string]int{"b": 5, "a": 5, "c": 10}, 40)
	want := "" +
		"  c | ============================= | 10\n" +
		"  a | ===============               | 5\n" +
		"  b | ===============               | 5\n"
	if got != want {
		t.Errorf("got\n%swant\n%s", got, want)
	}
}

func TestDrawRejects(t *testing.T) {
	tests := map[string]func(){
		"bars of a slice":         func() { Bars([]int{1}, 0) },
		"bars of map of strings":  func() { Bars(map[string]string{"a": "b"}, 0) },
		"bars keyed by a struct":  func() { Bars(map[struct{}]int{{}: 1}, 0) },
		"chart of strings":        func() { Chart([]string{"a"}, 0, 0) },
		"sparkline of a map":      func() { Sparkline(map[int]int{}, 0) },
		"quantize of nil":         func() { QuantizeValues(nil, 0) },
		"quantize of []any mixed": func() { QuantizeValues([]any{1}, 0) },
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil || !strings.HasPrefix(fmt.Sprint(r), "script.") {
					t.Errorf("recovered %v, want a panic naming the function", r)
				}
			}()
			fn()
		})
	}
}

func TestSeriesKeepsTheLast(t *testing.T) {
	var s Series
	for i := 0; i < maxPoints+5; i++ {
		s.Add(float64(i))
	}
	vs := s.Values()
	if len(vs) != maxPoints || vs[0] != 5 || vs[len(vs)-1] != maxPoints+4 {
		t.Errorf("kept %d values, %v … %v", len(vs), vs[0], vs[len(vs)-1])
	}
}

// The drawings' cost, for a frame a second: a thousand bars, a latency
// histogram of the default span, a chart of a full Series.
func BenchmarkDraw(b *testing.B) {
	counts := map[string]int{}
	for i := 0; i < maxRows; i++ {
		counts[fmt.Sprintf("route-%d", i)] = i * 7 % 1013
	}
	g := groupOf("GET /users", latencies()...)
	var s Series
	for i := 0; i < maxPoints; i++ {
		s.Add(float64(i % 97))
	}
	rows := [][]string{{"ROUTE", "REQ/S", "P99"}}
	for i := 0; i < 100; i++ {
		rows = append(rows, []string{fmt.Sprintf("GET /route/%d", i), fmt.Sprint(i * 13), "1.5ms"})
	}
	for _, bm := range []struct {
		name string
		draw func() string
	}{
		{"Bars1000", func() string { return Bars(counts, 120) }},
		{"Quantize", func() string { return Quantize(g, 120) }},
		{"Chart", func() string { return Chart(s.Values(), 120, 10) }},
		{"Table100", func() string { return Table(rows, 120) }},
	} {
		b.Run(bm.name, func(b *testing.B) {
			for b.Loop() {
				bm.draw()
			}
		})
	}
}
