package printable

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// longStruct is a struct type whose one field's name takes n bytes: what
// %+v prints for each value of it.
func longStruct(n int) reflect.Type {
	return reflect.StructOf([]reflect.StructField{{Name: "A" + strings.Repeat("b", n), Type: reflect.TypeOf(0)}})
}

func TestCheckPrintf(t *testing.T) {
	nested := make([][]int, 100)
	for i := range nested {
		nested[i] = make([]int, 100)
	}
	m := map[int]int{}
	for i := range 5000 {
		m[i] = i
	}
	long := reflect.MakeSlice(reflect.SliceOf(longStruct(100_000)), 10_000, 10_000).Interface()
	for _, tt := range []struct {
		name   string
		format string
		args   []any
		want   error
	}{
		{"plain", "%d %s %v %5.2f %-10s %[1]*d %%", []any{3, "a", []int{1}, 1.5, "b"}, nil},
		{"padded slice", "%8d", []any{make([]int, 500_000)}, nil},
		{"big string", "%s", []any{strings.Repeat("a", 100<<20)}, nil},
		{"hex bytes", "%x", []any{make([]byte, 10<<20)}, nil},
		{"one wide int", "%9999999d", []any{1}, nil},
		{"long names in %v", "%v", []any{long}, nil},
		{"no verbs", "%", nil, nil},
		{"width alone", "%0", nil, nil},

		// The reviewer's case: a million zeros for each of 10,000 ints.
		{"width over a slice", "%01000000d", []any{make([]int, 10_000)}, ErrLarge},
		{"width over a map", "%0100000d", []any{m}, ErrLarge},
		{"width over a struct's fields", "%0500000v", []any{make([]struct{ A, B, C, D int }, 200)}, ErrLarge},
		{"width over nested slices", "%0100000d", []any{nested}, ErrLarge},
		{"width over bytes", "%01000000d", []any{make([]byte, 1000)}, ErrLarge},
		{"width from an argument", "%*d", []any{1_000_000, make([]int, 1000)}, ErrLarge},
		{"indexed width", "%[2]*[1]d", []any{make([]int, 1000), -1_000_000}, ErrLarge},
		{"precision over floats", "%.1000000f", []any{make([]float64, 1000)}, ErrLarge},
		{"precision from an argument", "%.*e", []any{1_000_000, make([]complex128, 500)}, ErrLarge},
		{"width over nils", "%01000000v", []any{make([]any, 1000)}, ErrLarge},
		{"same argument again", strings.Repeat("%0100000[1]d", 100), []any{make([]int, 100)}, ErrLarge},
		{"long names in %+v", "%+v", []any{long}, ErrLarge},
		{"long names in a bad verb", "%d", []any{long}, ErrLarge},
		{"type names", strings.Repeat("%[1]T", 3000), []any{reflect.New(longStruct(100_000)).Elem().Interface()}, ErrLarge},
		{"bad verb over pointers", "%01000z", []any{pointers(1000, 1000)}, ErrLarge},
		{"pointers in %v", "%01000v", []any{pointers(1000, 1000)}, nil},
		{"leftover arguments", "", []any{strings.Repeat("a", 200<<20), strings.Repeat("b", 100<<20)}, ErrLarge},

		// Widths of up to ten million, not one: fmt checks the number
		// before its last digit.
		{"widths", strings.Repeat("%9999999d", 30), ones(30), ErrLarge},
		{"huge widths", strings.Repeat("%01000000d", 300), ones(300), ErrLarge},
		{"precisions", strings.Repeat("%.999999f", 300), ones(300), ErrLarge},
		{"missing operands", strings.Repeat("%01000000d", 300), nil, nil},
		{"too large", strings.Repeat("%99999999999999999999d", 300), ones(300), nil},
		{"cycle", "%v", []any{cyclic()}, ErrCycle},
	} {
		if err := CheckPrintf(tt.format, tt.args...); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}

// pointers is n pointers to one struct of a slice of m ints: a verb
// that does not suit a pointer prints each as &{[…]}.
func pointers(n, m int) []*struct{ A []int } {
	p := &struct{ A []int }{make([]int, m)}
	s := make([]*struct{ A []int }, n)
	for i := range s {
		s[i] = p
	}
	return s
}

func ones(n int) []any {
	a := make([]any, n)
	for i := range a {
		a[i] = 1.0
	}
	return a
}

func cyclic() any {
	s := []any{nil}
	s[0] = s
	return s
}

// TestPrintfBoundHolds: on shapes fmt pads element by element, the bound
// is above what fmt prints.
func TestPrintfBoundHolds(t *testing.T) {
	args := fuzzArgs()
	for _, format := range []string{"%0100d", "%+0100v", "%#0100v", "%100.100f", "%-100.50e", "%*d", "%[3]*.[2]*[1]f",
		"%0100q", "% #0100x", "%0100b", "%#0100U", "%0100z", "%100T", "%100p", "%v %v", "%[99]d", "%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d"} {
		for _, a := range args {
			for _, list := range [][]any{{a}, {a, a, a}, {100, a, 50}} {
				checkBound(t, format, list)
			}
		}
	}
}

func checkBound(t *testing.T, format string, args []any) {
	t.Helper()
	sizes, err := Walk{Verbose: true}.Sizes(args...)
	if err != nil {
		t.Fatalf("%q %v: %v", format, args, err)
	}
	bound := printfBound(format, args, sizes)
	if bound > 1<<22 {
		return // printing it would be slow; the bound is what matters
	}
	if out := fmt.Sprintf(format, args...); len(out) > bound {
		t.Fatalf("%q of %#v printed %d bytes, bound %d", format, args, len(out), bound)
	}
}

type point struct {
	X, Y float64
	Name string
}

func fuzzArgs() []any {
	return []any{
		nil, 7, -1 << 63, uint64(1<<64 - 1), 1e308, -1e-300, complex(1e308, -1e308), "a\x00\xff\u2028", true,
		[]int{1, 2, 3}, []byte{0, 255, 10}, [3]byte{1, 2, 3}, []string{"x", "\x01"}, []float64{1e308, 2},
		map[string]int{"a": 1, "b": 2}, map[point][]byte{{1, 2, "p"}: {3}},
		point{1e308, 2, "q"}, &point{3, 4, "r"}, []any{nil, 1, "s", []int{2}, &point{}},
		[][]int{{1, 2}, {3}}, pointers(2, 3), errors.New("boom"), bytes.NewBufferString("buf"), []*bytes.Buffer{bytes.NewBufferString("b"), nil}, fmt.Errorf("wrapped: %w", errors.New("inner")),
		struct {
			A []complex128
			B map[int]*point
		}{[]complex128{1i}, map[int]*point{1: nil}},
	}
}

// fmt prints a Stringer by its String method, for each element: one large
// buffer a thousand times is a gigabyte.
func TestCheckStringers(t *testing.T) {
	b := bytes.NewBufferString(strings.Repeat("x", 1<<20))
	var sb strings.Builder
	sb.WriteString(strings.Repeat("y", 1<<20))
	bufs := make([]*bytes.Buffer, 1000)
	builders := make([]any, 1000)
	for i := range bufs {
		bufs[i], builders[i] = b, &sb
	}
	for _, tt := range []struct {
		name string
		arg  any
		want error
	}{
		{"buffers", bufs, ErrLarge},
		{"builders", builders, ErrLarge},
		{"map of buffers", map[int]*bytes.Buffer{1: b, 2: b}, nil},
		{"nil buffers", make([]*bytes.Buffer, 1000), nil},
		{"a few", bufs[:100], nil},
	} {
		if err := Check(tt.arg); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	// %s prints their text; other verbs, their bytes one by one (the
	// bound takes the larger).
	if err := CheckPrintf("%s", bufs[:20]); err != nil {
		t.Errorf("20 MiB of buffers: %v", err)
	}
	if err := CheckPrintf("%01000d", bufs[:20]); !errors.Is(err, ErrLarge) {
		t.Errorf("20 MiB of buffers, each byte padded: %v, want ErrLarge", err)
	}
}
