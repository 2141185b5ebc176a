package match

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestNear(t *testing.T) {
	probes := []string{"request:start", "request:end", "request:error", "api:buffer", "burst:item"}
	for _, tt := range []struct {
		pattern string
		names   []string
		want    []string
	}{
		{"request:ned", probes, []string{"request:end"}},
		{"request:edn", probes, []string{"request:end"}},
		{"request:timeout", probes, []string{"request:end", "request:error", "request:start"}},
		{"reqest:*", probes, []string{"request:end", "request:error", "request:start"}},
		{"requests:*", probes, []string{"request:end", "request:error", "request:start"}},
		{"*:ned", probes, []string{"request:end"}},
		{"api:bufer", probes, []string{"api:buffer"}},
		{"db:query", probes, nil},
		{"*", probes, nil},
		{"duraton", []string{"status", "duration", "id"}, []string{"duration"}},
		{"stauts", []string{"status", "duration", "id"}, []string{"status"}},
		{"x", []string{"status", "duration"}, nil},
	} {
		if got := Near(tt.pattern, tt.names, 3); !slices.Equal(got, tt.want) {
			t.Errorf("Near(%q) = %q, want %q", tt.pattern, got, tt.want)
		}
	}
}

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b   string
		prefix bool
		want   int
	}{
		{"", "", false, 0},
		{"end", "end", false, 0},
		{"ned", "end", false, 1},
		{"duraton", "duration", false, 1},
		{"abc", "xyz", false, 3},
		{"abcd", "wxyz", false, 4}, // beyond k=3
		{"request:", "request:end", true, 0},
		{"reqest:", "request:end", true, 1},
		{"request:", "req", true, 4},
		{"abc", "", true, 3},
		{"abcde", "", true, 4},
	} {
		d := distancer{k: 3, budget: maxNearSteps}
		if got := d.distance(tt.a, tt.b, 3, tt.prefix); got != tt.want {
			t.Errorf("distance(%q, %q, prefix %v) = %d, want %d", tt.a, tt.b, tt.prefix, got, tt.want)
		}
	}
}

// FuzzNear checks that Near never panics and returns only given names.
func FuzzNear(f *testing.F) {
	f.Add("request:ned", "request:end,request:start")
	f.Add("{a,b}*[x]?", ",a,ab,abc")
	f.Fuzz(func(t *testing.T, pattern, names string) {
		list := strings.Split(names, ",")
		for _, n := range Near(pattern, list, 3) {
			if !slices.Contains(list, n) {
				t.Fatalf("Near(%q) returned %q, not a given name", pattern, n)
			}
		}
	})
}

// TestNearBounded checks that the worst case, many long names alike,
// stays cheap: the band keeps each comparison to a few thousand steps.
func TestNearBounded(t *testing.T) {
	names := make([]string, 2*MaxNearCandidates)
	for i := range names {
		names[i] = strings.Repeat("a", MaxNameLen-1) + string(rune('b'+i%20))
	}
	got := Near(strings.Repeat("a", MaxNameLen), names, 3)
	if len(got) != 3 {
		t.Fatalf("got %d near misses", len(got))
	}
}

func BenchmarkNearWorst(b *testing.B) {
	names := make([]string, MaxNearCandidates)
	for i := range names {
		names[i] = strings.Repeat("a", MaxNameLen-1) + string(rune('b'+i%20))
	}
	pattern := strings.Repeat("a", MaxNameLen)
	for b.Loop() {
		Near(pattern, names, 3)
	}
}

func BenchmarkNearTypical(b *testing.B) {
	var names []string
	for _, p := range []string{"request", "db", "cache", "api", "queue", "auth", "grpc", "http"} {
		for _, s := range []string{"start", "end", "error", "retry", "query", "hit", "miss"} {
			names = append(names, p+":"+s)
		}
	}
	for b.Loop() {
		Near("request:ned", names, 3)
	}
}

// TestNearManyNames checks that a registry full of short names is looked
// at whole: the near miss sorts last.
func TestNearManyNames(t *testing.T) {
	var names []string
	for i := range 10000 {
		names = append(names, fmt.Sprintf("probe:%05d", i))
	}
	names = append(names, "zz:end")
	if got := Near("zz:ned", names, 3); !slices.Equal(got, []string{"zz:end"}) {
		t.Fatalf("got %q", got)
	}
}
