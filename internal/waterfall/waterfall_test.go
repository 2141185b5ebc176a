package waterfall

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata")

var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// sp builds a span: start and d in milliseconds from t0.
func sp(id, parent, service, op string, start, d float64) Span {
	return Span{ID: id, Parent: parent, Service: service, Operation: op,
		Start: t0.Add(time.Duration(start * 1e6)), Duration: time.Duration(d * 1e6)}
}

func failed(s Span, msg, typ string) Span {
	s.Failed, s.Error, s.ErrorType = true, msg, typ
	return s
}

// checkout is a three-service trace as a store returns it: payments'
// charge is the bottleneck (812ms self), though gateway's render ends
// after it.
func checkout() []Span {
	return []Span{
		sp("a1", "", "gateway", "POST /checkout", 0, 900),
		sp("a2", "a1", "gateway", "auth", 5, 20),
		sp("b1", "a1", "orders", "create order", 30, 850),
		sp("b2", "b1", "orders", "SELECT stock", 35, 15),
		sp("c1", "b1", "payments", "charge", 50, 830),
		sp("c2", "c1", "payments", "tokenise card", 52, 18),
		sp("b3", "b1", "orders", "audit log", 40, 8), // beside SELECT stock: not on the path
		sp("a3", "a1", "gateway", "render", 882, 13),
	}
}

func without(spans []Span, ids ...string) []Span {
	return slices.DeleteFunc(spans, func(s Span) bool { return slices.Contains(ids, s.ID) })
}

// render lays spans out as jstrace trace does, with a header of the
// test's own.
func render(spans []Span, o Options) string {
	var b bytes.Buffer
	l := New(spans, o)
	l.WriteHeader(&b, "trace 4bf92f3577b34da6a3ce929d0e0e4736  "+Plural(len(spans), "span")+"  "+FormatDuration(l.Total()))
	l.WriteSpans(&b)
	l.WriteSummary(&b)
	return b.String()
}

func TestGolden(t *testing.T) {
	marks := Options{Bottleneck: true, Orphans: true}
	with := func(o Options, width int, color bool) Options {
		o.Width, o.Color = width, color
		return o
	}
	skewed := checkout()
	for i := range skewed {
		if skewed[i].Service == "payments" {
			skewed[i].Start = skewed[i].Start.Add(2 * time.Second) // payments' clock is 2s ahead
		}
	}
	skewed = append(skewed, sp("d1", "a2", "users", "lookup", -50, 100)) // longer than its parent (auth)
	cyclic := append(checkout(), sp("x1", "x2", "gateway", "x1 loop", 100, 10), sp("x2", "x1", "gateway", "x2 loop", 101, 5))
	tests := []struct {
		name  string
		opts  Options
		spans []Span
	}{
		{"checkout-40", with(marks, 40, false), checkout()},
		{"checkout-80", with(marks, 80, false), checkout()},
		{"checkout-200", with(marks, 200, false), checkout()},
		{"checkout-80-tty", with(marks, 80, true), checkout()},
		{"checkout-unmarked", Options{}, checkout()},
		{"errors", with(marks, 100, false), func() []Span {
			s := checkout()
			s[4] = failed(s[4], "card declined\x1b[2J", "*payments.DeclinedError")
			s[2] = failed(s[2], "", "")
			return s
		}()},
		{"orphans-under-root", with(marks, 100, false), without(checkout(), "b1")},
		{"orphans-no-root", with(marks, 100, false), without(checkout(), "a1")},
		{"skew", with(marks, 100, false), skewed},
		{"cycle", with(marks, 100, false), cyclic},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := render(tt.spans, tt.opts)
			golden(t, tt.name, got)
			if !tt.opts.Color {
				for line := range strings.Lines(got) {
					if n := len([]rune(strings.TrimSuffix(line, "\n"))); n > clampWidth(tt.opts.Width) {
						t.Errorf("a line of %d columns, wider than %d: %q", n, tt.opts.Width, line)
					}
				}
			}
		})
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestBottleneck(t *testing.T) {
	for _, tt := range []struct {
		name  string
		spans []Span
		want  string // the bottleneck's ID
		self  time.Duration
		path  string // the critical path's IDs
	}{
		{"checkout: the slow call, though a short one ends after it", checkout(), "c1", 812 * time.Millisecond, "a1 a3 b1 c1 c2 b2 a2"},
		{"a lone span", []Span{sp("a", "", "s", "op", 0, 5)}, "a", 5 * time.Millisecond, "a"},
		{"parallel children: the one that ends last", []Span{
			sp("r", "", "s", "root", 0, 100),
			sp("x", "r", "s", "fast", 1, 90),
			sp("y", "r", "s", "slow", 2, 97),
		}, "y", 97 * time.Millisecond, "r y"},
		{"the parent's own time", []Span{
			sp("r", "", "s", "root", 0, 100),
			sp("x", "r", "s", "child", 10, 5),
			sp("y", "r", "s", "child", 20, 5),
		}, "r", 90 * time.Millisecond, "r y x"},
		{"a tie goes to the deeper span", []Span{
			sp("r", "", "s", "root", 0, 20),
			sp("x", "r", "s", "child", 10, 10),
		}, "x", 10 * time.Millisecond, "r x"},
		{"overlapping children count once", []Span{
			sp("r", "", "s", "root", 0, 200),
			sp("x", "r", "s", "a", 0, 60),
			sp("y", "r", "s", "b", 40, 50),
			sp("z", "y", "s", "c", 40, 49),
		}, "r", 110 * time.Millisecond, "r y z"},
		{"no root yet: the orphan that ends last", []Span{
			sp("x", "gone", "s", "a", 0, 10),
			sp("y", "gone", "s", "b", 5, 30),
		}, "y", 30 * time.Millisecond, "y"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := New(tt.spans, Options{Bottleneck: true, Orphans: true})
			s, self, ok := l.Bottleneck()
			if !ok || s.ID != tt.want || self != tt.self {
				t.Errorf("bottleneck %v %v %v, want %s %v", s, self, ok, tt.want, tt.self)
			}
			var ids []string
			for _, s := range l.CriticalPath() {
				ids = append(ids, s.ID)
			}
			if got := strings.Join(ids, " "); got != tt.path {
				t.Errorf("critical path %q, want %q", got, tt.path)
			}
		})
	}
	if _, _, ok := New(nil, Options{}).Bottleneck(); ok {
		t.Error("a bottleneck without spans")
	}
}

func TestColumns(t *testing.T) {
	for _, tt := range []struct {
		env  string
		want int
	}{{"", 80}, {"120", 120}, {"10", MinWidth}, {"99999", MaxWidth}, {"wide", 80}, {"-5", 80}} {
		t.Run(tt.env, func(t *testing.T) {
			t.Setenv("COLUMNS", tt.env)
			if got := Columns(nil); got != tt.want {
				t.Errorf("Columns with COLUMNS=%q = %d, want %d", tt.env, got, tt.want)
			}
		})
	}
}
