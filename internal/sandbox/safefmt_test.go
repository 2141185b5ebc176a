package sandbox

import (
	"fmt"
	"strings"
	"testing"
)

// fmt pads every value a verb prints, each element of a slice or map and
// each field of a struct: the formatting natives refuse what would print
// more than printable.MaxBytes, whichever native the script calls. Each
// case prints about a gigabyte without the check. The same holds of
// Stringers, which fmt prints by their String method for each element.
func TestFormatWidthsOverValues(t *testing.T) {
	decls := `
type T struct{ A, B, C, D int }

// S is a Stringer of a mebibyte.
type S struct{}

var mib = strings.Repeat("x", 1<<20)

func (S) String() string { return mib }

func ints(n int) []int { return make([]int, n) }

func byKey(n int) map[int]int {
	m := map[int]int{}
	for i := 0; i < n; i++ {
		m[i] = i
	}
	return m
}

func grid(n int) [][]int {
	g := make([][]int, n)
	for i := range g {
		g[i] = make([]int, n)
	}
	return g
}
`
	tests := []struct{ name, body, want string }{
		{"fmt.Sprintf over a slice", `_ = fmt.Sprintf("%01000000d", ints(1000))`, "fmt: value too large"},
		{"fmt.Printf over a map", `fmt.Printf("%0100000d", byKey(5000))`, "fmt: value too large"},
		{"fmt.Fprintf over a script's structs", "var b strings.Builder\nfmt.Fprintf(&b, \"%0500000v\", make([]T, 300))", "fmt: value too large"},
		{"fmt.Errorf over nested slices", `_ = fmt.Errorf("%0100000d", grid(100))`, "fmt: value too large"},
		{"fmt.Appendf with a width from an argument", `_ = fmt.Appendf(nil, "%*d", 1000000, ints(1000))`, "fmt: value too large"},
		{"fmt.Sprintf with an indexed width", `_ = fmt.Sprintf("%[2]*[1]d", ints(1000), -1000000)`, "fmt: value too large"},
		{"fmt.Sprintf precision over floats", `_ = fmt.Sprintf("%.1000000f", make([]float64, 1000))`, "fmt: value too large"},
		{"fmt.Sprintf over bytes", `_ = fmt.Sprintf("%01000000d", make([]byte, 1000))`, "fmt: value too large"},
		{"fmt.Sprintf of one operand many times", `_ = fmt.Sprintf(strings.Repeat("%0100000[1]d", 100), ints(100))`, "fmt: value too large"},
		{"traces.Logf over a slice", `traces.Logf("%01000000d", ints(1000))`, "traces: value too large"},
		{"traces.Errorf with widths from arguments", `traces.Errorf("%*v", 1000000, make([]T, 300))`, "traces: value too large"},
		// Stringers print by their String method, once per element.
		{"fmt.Sprint of a script's Stringers", "s := make([]fmt.Stringer, 1000)\nfor i := range s { s[i] = S{} }\n_ = fmt.Sprint(s)", "fmt: value too large"},
		{"traces.Log of one buffer many times", "b := bytes.NewBufferString(mib)\ns := make([]*bytes.Buffer, 1000)\nfor i := range s { s[i] = b }\ntraces.Log(s)", "traces: value too large"},
	}
	all := []string{"strings", "bytes"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := runRemote(t, all, decls, tt.body)
			if got == nil || !strings.Contains(fmt.Sprint(got), tt.want) {
				t.Fatalf("recovered %v, want a panic with %q", got, tt.want)
			}
		})
	}
}

// Widths over small values still print.
func TestFormatWidthsStillWork(t *testing.T) {
	body := `
	traces.Logf("%5d|%-4v|%06.2f|%*d|%+v", []int{1, 2}, map[string]int{"a": 1}, []float64{1.5}, 3, 7, struct{ A int }{1})
	`
	got, out := runRemote(t, nil, "", body)
	if got != nil {
		t.Fatalf("panicked: %v", got)
	}
	if want := "[    1     2]|map[a   :1   ]|[001.50]|  7|{A:1}"; !strings.Contains(out, want) {
		t.Fatalf("printed %q, want %q", out, want)
	}
}
