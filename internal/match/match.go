// Package match compiles the glob patterns of traces.On and matches probe
// names against them.
package match

import (
	"fmt"

	"github.com/gobwas/glob"
)

// MaxPatterns bounds the patterns of one set: a script calling On in a loop
// must not grow an agent's memory without limit.
const MaxPatterns = 1024

// A Set is an immutable set of glob patterns. "*" matches any run of
// characters, ":" included; "?", "[…]" and "{a,b}" work as in shells. The
// zero Set and a nil *Set match nothing. A Set is safe for concurrent use.
type Set struct {
	patterns []string
	globs    []*glob.Pattern
}

// Compile returns the set of the given patterns.
func Compile(patterns ...string) (*Set, error) {
	var s *Set
	for _, p := range patterns {
		var err error
		if s, err = s.With(p); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// With returns a set with pattern added; s is unchanged.
func (s *Set) With(pattern string) (*Set, error) {
	if s != nil && len(s.patterns) >= MaxPatterns {
		return nil, fmt.Errorf("more than %d patterns", MaxPatterns)
	}
	g, err := glob.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("bad pattern %q: %w", pattern, err)
	}
	n := &Set{}
	if s != nil {
		n.patterns = append(n.patterns, s.patterns...)
		n.globs = append(n.globs, s.globs...)
	}
	n.patterns = append(n.patterns, pattern)
	n.globs = append(n.globs, g)
	return n, nil
}

// Match reports whether name matches any pattern of s.
func (s *Set) Match(name string) bool {
	if s == nil {
		return false
	}
	for _, g := range s.globs {
		if g.Match(name) {
			return true
		}
	}
	return false
}

// Patterns returns the patterns of s in the order they were added.
func (s *Set) Patterns() []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s.patterns...)
}

// Len returns the number of patterns in s.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.patterns)
}
