package match

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/glob"
)

func TestLimits(t *testing.T) {
	tests := []struct {
		pattern string
		want    string // in the error; "" for none
	}{
		{"request:start", ""},
		{"{http,grpc}:*", ""},
		{"{db,cache}:{get,set}:*", ""},
		{strings.Repeat("a", MaxPatternLen), ""},
		{strings.Repeat("a", MaxPatternLen+1), "more than the limit of 256 bytes"},
		{strings.Repeat("*x", MaxWildcards), ""},
		{strings.Repeat("*x", MaxWildcards+1), "more than the limit of 8 wildcards"},
		{strings.Repeat("?", MaxWildcards+1), "more than the limit of 8 wildcards"},
		{strings.Repeat("**", MaxWildcards+1), "more than the limit of 8 wildcards"},
		{strings.Repeat("[ab]", MaxClasses), ""},
		{strings.Repeat("[ab]", MaxClasses+1), "more than the limit of 8 character classes"},
		{"{a,{b,{c,d}}}", ""},
		{"{a,{b,{c,{d,e}}}}", "groups nested deeper than the limit of 3"},
		{strings.Repeat("{", 10000), "more than the limit of 256 bytes"},
		{strings.Repeat("{a,b}", 5), ""},                                       // 32
		{strings.Repeat("{a,b}", 6), "more than the limit of 32 alternatives"}, // 64
		{"{" + strings.Repeat("a,", 32) + "b}", "more than the limit of 32 alternatives"},
		{strings.Repeat("{*,*}", 40) + "[x]", "too complex"}, // the red team's pattern
		{strings.Repeat("{*,*}", 4) + "[x]", ""},
		{"{unclosed", "unclosed"},
		{"[unclosed", "bad pattern"},
		{"bad\xff", "bad pattern"},
	}
	for _, tt := range tests {
		_, err := Compile(tt.pattern)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Compile(%.40q): %v", tt.pattern, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("Compile(%.40q) = %v, want %q", tt.pattern, err, tt.want)
		case err != nil && len(err.Error()) > 200:
			t.Errorf("Compile(%.40q): error of %d bytes", tt.pattern, len(err.Error()))
		}
		if err != nil && strings.Contains(tt.want, "limit") && !errors.Is(err, ErrTooComplex) {
			t.Errorf("Compile(%.40q) = %v, not ErrTooComplex", tt.pattern, err)
		}
	}
}

func TestSetLimits(t *testing.T) {
	var s *Set
	var err error
	for i := range MaxPatterns {
		if s, err = s.With(strconv.Itoa(i) + "{a,b}"[:i%2*5]); err != nil && i%2 == 0 {
			t.Fatalf("pattern %d: %v", i, err)
		}
		if err != nil {
			break // the groups filled MaxGlobs first
		}
	}
	if err == nil || !strings.Contains(err.Error(), "limit of 1024 alternatives in all") {
		t.Fatalf("With past MaxGlobs: %v", err)
	}
	s = nil
	for i := range MaxPatterns {
		s, _ = s.With("p" + strconv.Itoa(i))
	}
	if _, err := s.With("one more"); err == nil || !strings.Contains(err.Error(), "limit of 1024 patterns") {
		t.Fatalf("With past MaxPatterns: %v", err)
	}
	if same, err := s.With(s.Patterns()[7]); err != nil || same != s {
		t.Fatalf("a pattern already there: %p, %v", same, err)
	}
}

func TestNameLen(t *testing.T) {
	s, _ := Compile("*")
	if !s.Match(strings.Repeat("n", MaxNameLen)) || s.Match(strings.Repeat("n", MaxNameLen+1)) {
		t.Error("MaxNameLen not applied")
	}
}

// worst lists the costliest patterns the limits admit, found by measuring:
// one star that restarts at every byte before a run of single-character
// matchers, times the most alternatives, on a name made to match almost
// everywhere.
var worst = []string{
	"{a,b}{a,b}{a,b}{a,b}{a,b}*a?a?a?a?a?a?a?[a][a][a][a][a][a][a][b]",
	"{*,*}{*,*}{*,*}{*,*}[a][a][a][a][a][a][a][b]",
	"*[a][a][a][a][a][a][a][b]",
	"*a?a?a?a?a?a?a?" + strings.Repeat("a", 200) + "[b]",
	"{{*,*},{*,?}}{*,*}{?,*}[!b][!b][!b][!b][!b][!b][!b][b]",
}

// TestWorstAdmitted checks that the costliest pattern the limits admit
// compiles and matches the longest name in bounded time and memory. The
// red team's pattern, cut down to fit, took a minute on a 64-byte name
// before groups were expanded.
func TestWorstAdmitted(t *testing.T) {
	names := []string{strings.Repeat("a", MaxNameLen), strings.Repeat("ab:", MaxNameLen/3)}
	for _, p := range worst {
		start := time.Now()
		s, err := Compile(p)
		if err != nil {
			t.Fatalf("Compile(%q): %v", p, err)
		}
		for _, n := range names {
			s.Match(n)
		}
		d := time.Since(start)
		allocs := testing.AllocsPerRun(3, func() {
			for _, n := range names {
				s.Match(n)
			}
		})
		t.Logf("%q: %d plain patterns, compiled and matched in %v, %v allocations", p, len(s.globs), d, allocs)
		if d > time.Second || allocs > 1000 {
			t.Errorf("%q: %v, %v allocations", p, d, allocs)
		}
	}
}

func BenchmarkWorstAdmitted(b *testing.B) {
	name := strings.Repeat("a", MaxNameLen)
	for _, p := range worst {
		s, _ := Compile(p)
		b.Run(p[:min(len(p), 24)], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.Match(name)
			}
		})
	}
}

// FuzzExpand checks that expanding the groups changes no match: a Set
// agrees with the glob engine on the pattern as written.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{"{a,b}c", "{*,}x", "a{b,{c,d}}e", `\{a,b}`, "{a\\,b}", "[{]a}", "{[,]a,b}", "{}", "{,}", "{a,}{,b}", "}{", "*{*0,}"} {
		f.Add(s, "abc")
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		if len(pattern) > 24 || len(name) > 24 || strings.Count(pattern, "{") > 3 {
			return // keep the engine's backtracking on the original cheap
		}
		s, err := Compile(pattern)
		g, gerr := glob.Compile(pattern)
		if (err == nil) != (gerr == nil) {
			if errors.Is(err, ErrTooComplex) {
				return
			}
			t.Fatalf("Compile(%q): %v; glob: %v", pattern, err, gerr)
		}
		if err != nil {
			return
		}
		if got, want := s.Match(name), g.Match(name); got != want {
			t.Fatalf("Match(%q, %q) = %v, glob says %v", pattern, name, got, want)
		}
	})
}
