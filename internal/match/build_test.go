package match

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// TestBuilderSnapshots checks that a Set a Builder returned does not
// change as the Builder goes on, and that a refused pattern leaves the
// set as it was, whether or not the set had been returned.
func TestBuilderSnapshots(t *testing.T) {
	var b Builder
	for _, p := range []string{"a:*", "{b,c}:x", "exact"} {
		if err := b.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	first := b.Set()
	if err := b.Add("d:*"); err != nil {
		t.Fatal(err)
	}
	if err := b.Add("{e,f}:y"); err != nil {
		t.Fatal(err)
	}
	if first.Len() != 3 || first.Match("d:1") || first.Match("e:y") || !first.Match("b:x") {
		t.Errorf("an earlier set changed: %v", first.Patterns())
	}
	second := b.Set()
	if !second.Match("d:1") || !second.Match("f:y") || !second.Match("a:z") || second.Len() != 5 {
		t.Errorf("the set lacks patterns: %v", second.Patterns())
	}
	if err := b.Add("exact"); err != nil || b.Set() != second {
		t.Errorf("a pattern the set has changed it (err %v)", err)
	}

	// A pattern that takes the set past MaxCost, added once to a set that
	// was returned and once to one that was not.
	costly := "*" + strings.Repeat("[a]", 7) + "b"
	for _, shared := range []bool{true, false} {
		var b Builder
		n := 0
		for ; ; n++ {
			if err := b.Add(fmt.Sprintf("%s:{%d,x%d}:z", costly, n, n)); err != nil {
				if !errors.Is(err, ErrTooComplex) {
					t.Fatalf("err = %v, want ErrTooComplex", err)
				}
				break
			}
			if shared {
				b.Set()
			}
		}
		s := b.Set()
		if s.Len() != n || s.Cost() > MaxCost || len(s.globs) != 2*n {
			t.Errorf("shared %v: a refused pattern stayed: %d patterns, %d globs, cost %d", shared, s.Len(), len(s.globs), s.Cost())
		}
		if !s.Match(strings.Repeat("a", 7)+"b:0:z") || s.Match(fmt.Sprintf("%sb:%d:z", strings.Repeat("a", 7), n)) {
			t.Errorf("shared %v: the refused pattern matches", shared)
		}
	}

	// Literals likewise: patterns of 32 names each, up to MaxLiterals.
	alts := make([]string, MaxAlternatives)
	for i := range alts {
		alts[i] = fmt.Sprint(i)
	}
	var lb Builder
	n := 0
	for ; ; n++ {
		if err := lb.Add(fmt.Sprintf("lit:%d:{%s}", n, strings.Join(alts, ","))); err != nil {
			if !errors.Is(err, ErrTooComplex) {
				t.Fatalf("err = %v, want ErrTooComplex", err)
			}
			break
		}
	}
	if s := lb.Set(); s.Len() != n || len(s.literals) != n*MaxAlternatives || s.Match(fmt.Sprintf("lit:%d:0", n)) {
		t.Errorf("refused literals stayed: %d patterns, %d literals", s.Len(), len(s.literals))
	}
}

// TestBuilderLinear checks that adding MaxPatterns patterns one at a time
// costs memory in proportion to the set, not to its square: a script
// calling traces.On in a loop, as the agent's own tests do, once copied
// the whole set at each call.
func TestBuilderLinear(t *testing.T) {
	var b Builder
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range MaxPatterns {
		if err := b.Add(fmt.Sprint("build:exact:", i, ":{get,set,del}")); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	s := b.Set()
	if s.Len() != MaxPatterns || len(s.literals) != 3*MaxPatterns {
		t.Fatalf("%d patterns, %d literals", s.Len(), len(s.literals))
	}
	// Measured: 4.1 MB. Copying the set at each Add allocated 82 MB.
	const most = 16 << 20
	if n := after.TotalAlloc - before.TotalAlloc; n > most {
		t.Errorf("adding %d patterns allocated %d bytes, more than %d", MaxPatterns, n, most)
	}
}
