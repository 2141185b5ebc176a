package jstrace

import (
	"strings"
	"testing"
	"time"
)

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"http:*", "http:request:start", true},
		{"http:*", "http:", true},
		{"http:*", "https:x", false},
		{"*", "", true},
		{"", "", true},
		{"", "x", false},
		{"*:error", "db:query:error", true},
		{"*:error", "db:query:errors", false},
		{"db:?uery:*", "db:query:end", true},
		{"db:?uery:*", "db:uery:end", false},
		{"?", "é", true}, // one character, not one byte
		{"??", "é", false},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbYcZ", false},
		{"a*b*c", "abbbc", true},
		{"*a*a*a*a*b", strings.Repeat("a", 64), false},
		{"exact", "exact", true},
		{"exact", "exac", false},
		{"**", "anything", true},
	} {
		t.Run(tc.pattern+"/"+tc.name, func(t *testing.T) {
			if got := glob(tc.pattern, tc.name); got != tc.want {
				t.Errorf("glob(%q, %q) = %v", tc.pattern, tc.name, got)
			}
		})
	}
}

func TestParsePattern(t *testing.T) {
	names := []string{"http:request:start", "http:layer:end", "db:query:start", "db:query:error", "app:x"}
	for _, tc := range []struct {
		pattern string
		want    string // the names matched, space-separated; or "error"
	}{
		{"http:*", "http:request:start http:layer:end"},
		{"http:*,db:*", "http:request:start http:layer:end db:query:start db:query:error"},
		{"http:* db:*", "http:request:start http:layer:end db:query:start db:query:error"},
		{"*,-db:*", "http:request:start http:layer:end app:x"},
		{"*:start, -http:*", "db:query:start"},
		{"-*:start", "http:layer:end db:query:error app:x"}, // exclusions only: the rest
		{",app:x,,", "app:x"},
		{"", "error"},
		{" , ", "error"},
		{"http:*,-", "error"},
		{"\xff", "error"},
		{strings.Repeat("a", MaxPatternLen+1), "error"},
	} {
		t.Run(tc.pattern, func(t *testing.T) {
			p, err := parsePattern(tc.pattern)
			if err != nil {
				if tc.want != "error" {
					t.Fatalf("error %v", err)
				}
				return
			}
			var got []string
			for _, n := range names {
				if p.match(n) {
					got = append(got, n)
				}
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("matches %q, want %q", got, tc.want)
			}
		})
	}
}

// The worst patterns within MaxPatternLen stay fast on long names.
func TestGlobBounded(t *testing.T) {
	pattern := strings.Repeat("*a", MaxPatternLen/2-1) + "*b"
	name := strings.Repeat("a", 4096)
	start := time.Now()
	if glob(pattern, name) {
		t.Fatal("matched")
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("%v for one match", d)
	}
}

func FuzzGlob(f *testing.F) {
	f.Add("a*b?c", "aXXbYc")
	f.Add("*", "")
	f.Fuzz(func(t *testing.T, pattern, name string) {
		if len(pattern) > 64 || len(name) > 64 || strings.Count(pattern, "*") > 6 { // globSlow is exponential
			return
		}
		if got, want := glob(pattern, name), globSlow(pattern, name); got != want {
			t.Fatalf("glob(%q, %q) = %v, the definition says %v", pattern, name, got, want)
		}
	})
}

// globSlow is the definition of glob, by recursion over runes.
func globSlow(pattern, name string) bool {
	if pattern == "" {
		return name == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; ; {
			if globSlow(pattern[1:], name[i:]) {
				return true
			}
			if i == len(name) {
				return false
			}
			_, size := decodeRune(name[i:])
			i += size
		}
	case '?':
		if name == "" {
			return false
		}
		_, size := decodeRune(name)
		return globSlow(pattern[1:], name[size:])
	}
	return name != "" && pattern[0] == name[0] && globSlow(pattern[1:], name[1:])
}

func decodeRune(s string) (rune, int) {
	for i, r := range s {
		if i > 0 {
			return r, i
		}
	}
	return 0, len(s)
}
