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
		{"*" + strings.Repeat("?", 7) + strings.Repeat("[abcdefghijklmno]x", 8), ""},
		{"*" + strings.Repeat("?", 7) + strings.Repeat("[abcdefghijklmnop]x", 8), "cost 8225 to match, more than the limit of 8192 in all"},
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
	fill := func(pattern func(i int) string) (*Set, int, error) {
		var s *Set
		for i := range 2 * MaxPatterns {
			n, err := s.With(pattern(i))
			if err != nil {
				return s, i, err
			}
			s = n
		}
		return s, 0, nil
	}
	tests := []struct {
		pattern func(i int) string
		n       int    // the patterns admitted
		want    string // in the error
	}{
		{func(i int) string { return "p" + strconv.Itoa(i) }, MaxPatterns, "limit of 1024 patterns"},
		{func(i int) string { return "p" + strconv.Itoa(i) + ":{a,b,c,d,e,f,g,h}" }, MaxLiterals / 8, "limit of 4096 names without wildcards in all"},
		{func(i int) string { return "p" + strconv.Itoa(i) + "{?,:*}" }, MaxGlobs / 2, "limit of 1024 plain patterns with wildcards in all"},
		{func(i int) string { return "*:e" + strconv.Itoa(i) }, MaxCost / 515, "more than the limit of 8192 in all"},
		{func(i int) string { return "{a,b,c,d}*:e" + strconv.Itoa(i) }, MaxCost / 515 / 4, "more than the limit of 8192 in all"},
	}
	for _, tt := range tests {
		s, n, err := fill(tt.pattern)
		if n != tt.n || err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrTooComplex) && n != MaxPatterns {
			t.Errorf("%q…: %d patterns admitted, then %v; want %d, then %q", tt.pattern(0), n, err, tt.n, tt.want)
		}
		if s.Cost() > MaxCost || len(s.globs) > MaxGlobs || len(s.literals) > MaxLiterals {
			t.Errorf("%q…: cost %d, %d globs, %d literals", tt.pattern(0), s.Cost(), len(s.globs), len(s.literals))
		}
		if same, err := s.With(s.Patterns()[n-1]); err != nil || same != s {
			t.Fatalf("a pattern already there: %p, %v", same, err)
		}
	}
	// Groups that expand to the same plain pattern count once.
	if s, err := Compile(strings.Repeat("{*,*}", 4) + "[x]"); err != nil || len(s.globs) != 1 {
		t.Errorf("{*,*}…: %v", err)
	}
}

func TestLiterals(t *testing.T) {
	s, err := Compile("request:start", "{db,cache}:get", `esc\*aped`, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.globs) != 0 || s.Cost() != 0 || len(s.literals) != 5 {
		t.Fatalf("%d globs, cost %d, literals %v", len(s.globs), s.Cost(), s.literals)
	}
	for _, name := range []string{"request:start", "db:get", "cache:get", `esc*aped`, ""} {
		if !s.Match(name) {
			t.Errorf("Match(%q) = false", name)
		}
	}
	for _, name := range []string{"request:star", "db:get:x", `esc\*aped`, "escXaped"} {
		if s.Match(name) {
			t.Errorf("Match(%q) = true", name)
		}
	}
}

func TestNameLen(t *testing.T) {
	s, _ := Compile("*")
	if !s.Match(strings.Repeat("n", MaxNameLen)) || s.Match(strings.Repeat("n", MaxNameLen+1)) {
		t.Error("MaxNameLen not applied")
	}
}

// worst lists, as functions of a distinct part, the shapes of the
// costliest patterns the limits admit, found by measuring: a star that
// restarts at every character before a run of tokens that fail last, on a
// name made to match almost everywhere. A set of each, filled up to
// MaxCost, is among the costliest sets admitted.
var worst = []func(x string) string{
	func(x string) string { return "*[a" + x + "][a][a][a][a][a][a][b]" },
	func(x string) string { return "*[a" + x + "]a?a?a?a?a?a?a?[a][a][a][a][a][a][b]" },
	func(x string) string { return "*[a" + x + "]???????[b]" },
	func(x string) string { return "*[a" + x + "]" + strings.Repeat("a", 200) + "[b]" },
	func(x string) string { return "*[a" + x + "]" },
	func(x string) string { return "*a" + x + ":error" },
	func(x string) string { return "{*,?}{*,?}[a" + x + "][a][a]?[a]" },
}

// worstSets returns a set of each shape of worst, filled up to MaxCost.
func worstSets(t testing.TB) []*Set {
	var sets []*Set
	for _, f := range worst {
		var s *Set
		for _, x := range "cdefghijklmnopqrstuvwxyzCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" {
			n, err := s.With(f(string(x)))
			if err != nil {
				if s == nil {
					t.Fatalf("%q: %v", f(string(x)), err)
				}
				break
			}
			s = n
		}
		sets = append(sets, s)
	}
	return sets
}

// worstNames are names of MaxNameLen bytes that the worst patterns match
// almost everywhere.
var worstNames = []string{
	strings.Repeat("a", MaxNameLen),
	strings.Repeat("a", MaxNameLen-1) + "b",
	strings.Repeat("a", MaxNameLen-6) + ":error",
	strings.Repeat("ab:", MaxNameLen/3),
	strings.Repeat("é", MaxNameLen/2),
}

// TestWorstAdmitted checks that the costliest sets the limits admit match
// the longest names in bounded time and without allocating, and within
// the steps their cost promises. Before sets had a budget, 1,024 of these
// patterns took 17–39 ms against a 512-byte name.
func TestWorstAdmitted(t *testing.T) {
	for _, s := range worstSets(t) {
		for _, name := range worstNames {
			steps := 0
			for _, g := range s.globs {
				_, n := g.walk(name)
				steps += n
			}
			if steps > s.Cost() {
				t.Errorf("%.40q…: %d steps against %.20q…, more than its cost %d", s.patterns[0], steps, name, s.Cost())
			}
		}
		d := time.Duration(1 << 62)
		for range 5 { // the fastest of a few runs: the machine may be busy
			start := time.Now()
			for _, name := range worstNames {
				s.Match(name)
			}
			d = min(d, time.Since(start)/time.Duration(len(worstNames)))
		}
		allocs := testing.AllocsPerRun(3, func() {
			for _, n := range worstNames {
				s.Match(n)
			}
		})
		t.Logf("%.40q…: %d patterns, cost %d, matched in %v", s.patterns[0], len(s.globs), s.Cost(), d)
		if d > time.Millisecond || allocs > 0 {
			t.Errorf("%.40q…: %v, %v allocations", s.patterns[0], d, allocs)
		}
	}
}

func BenchmarkWorstAdmitted(b *testing.B) {
	for _, s := range worstSets(b) {
		b.Run(s.patterns[0][:min(len(s.patterns[0]), 24)], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, name := range worstNames {
					s.Match(name)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(worstNames)), "ns/match")
			b.ReportMetric(float64(s.Cost()), "cost")
		})
	}
}

// FuzzCost checks that matching a plain pattern takes at most the steps
// its cost promises, whatever the name.
func FuzzCost(f *testing.F) {
	for _, s := range []string{"*a?b*[c]d", "*", "a*", "*:error", "??*[!a]*", "*é?", "[a-c]*x*y*"} {
		f.Add(s, "aaaabbbbc:error")
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		if len(name) > MaxNameLen {
			return
		}
		globs, _, err := compileOne(pattern)
		if err != nil {
			return
		}
		for _, g := range globs {
			if _, steps := g.walk(name); steps > g.cost {
				t.Fatalf("%q against %q: %d steps, cost %d", g.src, name, steps, g.cost)
			}
		}
	})
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

// BenchmarkWorstPass matches MaxProbes (10,000) names of MaxNameLen
// bytes against two of the costliest sets, as the registry's update does
// when a session subscribes (its Local and Remote sets): the cost of one
// pass.
func BenchmarkWorstPass(b *testing.B) {
	sets := worstSets(b)
	local, remote := sets[2], sets[4]
	names := make([]string, 10000)
	for i := range names {
		names[i] = strconv.Itoa(i) + strings.Repeat("a", MaxNameLen-len(strconv.Itoa(i)))
	}
	for b.Loop() {
		for _, n := range names {
			_ = local.Match(n) || remote.Match(n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/pass")
}
