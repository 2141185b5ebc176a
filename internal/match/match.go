// Package match compiles the glob patterns of traces.On, and of the CLI's
// selectors, and matches probe names against them. Patterns are untrusted:
// each is checked against the limits below before it is compiled, so that
// compiling and matching take bounded time and memory (see [MaxPatternLen]).
package match

import (
	"fmt"
	"slices"

	"github.com/gobwas/glob"
)

// MaxPatterns bounds the patterns of one set: a script calling On in a loop
// must not grow an agent's memory without limit.
const MaxPatterns = 1024

// MaxGlobs bounds the plain patterns a set holds once the groups of its
// patterns are expanded (see [MaxAlternatives]): what a match of the whole
// set costs.
const MaxGlobs = MaxPatterns

// A Set is an immutable set of glob patterns. "*" matches any run of
// characters, ":" included; "?", "[…]" and "{a,b}" work as in shells. The
// zero Set and a nil *Set match nothing. A Set is safe for concurrent use.
type Set struct {
	patterns []string
	globs    []*glob.Pattern // the patterns' groups expanded
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

// With returns a set with pattern added; s is unchanged. A pattern s already
// has returns s itself. A pattern beyond the limits ([MaxPatternLen] and
// the others) is refused with an error wrapping [ErrTooComplex].
func (s *Set) With(pattern string) (*Set, error) {
	if s != nil && slices.Contains(s.patterns, pattern) {
		return s, nil
	}
	if s.Len() >= MaxPatterns {
		return nil, fmt.Errorf("more than the limit of %d patterns", MaxPatterns)
	}
	globs, err := compileOne(pattern)
	if err != nil {
		return nil, err
	}
	n := &Set{}
	if s != nil {
		if len(s.globs)+len(globs) > MaxGlobs {
			return nil, fmt.Errorf("pattern %s: %w: the patterns would expand to more than the limit of %d alternatives in all", quote(pattern), ErrTooComplex, MaxGlobs)
		}
		n.patterns = append(n.patterns, s.patterns...)
		n.globs = append(n.globs, s.globs...)
	}
	n.patterns = append(n.patterns, pattern)
	n.globs = append(n.globs, globs...)
	return n, nil
}

// Match reports whether name matches any pattern of s. A name longer than
// [MaxNameLen] matches nothing.
func (s *Set) Match(name string) bool {
	if s == nil || len(name) > MaxNameLen {
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
