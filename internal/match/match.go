// Package match compiles the glob patterns of traces.On, and of the CLI's
// selectors, and matches probe names against them. Patterns are untrusted:
// each is checked against the limits below before it is compiled, so that
// compiling and matching take bounded time and memory (see [MaxPatternLen]).
package match

// MaxPatterns bounds the patterns of one set: a script calling On in a loop
// must not grow an agent's memory without limit.
const MaxPatterns = 1024

// Limits of a whole set, once the groups of its patterns are expanded
// (see [MaxAlternatives]) into plain patterns: what a match of the whole
// set costs, on whichever goroutine registers a new probe name.
const (
	// MaxLiterals bounds the plain patterns without wildcards or classes
	// ("request:start"): a set looks them up in a map, for about the cost
	// of hashing the name, however many they are.
	MaxLiterals = 4096
	// MaxGlobs bounds the other plain patterns; MaxCost bounds what
	// matching them costs.
	MaxGlobs = 1024
	// MaxCost bounds the sum of the costs of those: the steps one match
	// of a name of MaxNameLen bytes may take, each a few nanoseconds. A
	// pattern costs a step per token before its first star, plus a step
	// per token after it times the length of the name, a star at the end
	// being free: "db:*" costs 2 steps, "{http,grpc}:*" 4, "*:error" 515,
	// "*[a][a][a][a][a][a][a][b]" 2,314.
	MaxCost = 8192
)

// A Set is an immutable set of glob patterns. "*" matches any run of
// characters, ":" included; "?", "[…]" and "{a,b}" work as in shells. The
// zero Set and a nil *Set match nothing. A Set is safe for concurrent use.
type Set struct {
	patterns []string
	literals map[string]struct{} // the plain patterns without wildcards
	globs    []*plain            // the others
	cost     int                 // the sum of the globs' costs
}

// Compile returns the set of the given patterns.
func Compile(patterns ...string) (*Set, error) {
	var b Builder
	for _, p := range patterns {
		if err := b.Add(p); err != nil {
			return nil, err
		}
	}
	return b.Set(), nil
}

// With returns a set with pattern added; s is unchanged. A pattern s already
// has returns s itself. A pattern beyond the limits ([MaxPatternLen] and
// the others), or that would take the set beyond its own ([MaxCost] and
// the others), is refused with an error wrapping [ErrTooComplex]. With
// copies s: to add many patterns, use a [Builder].
func (s *Set) With(pattern string) (*Set, error) {
	b := Builder{s: s, shared: true}
	if err := b.Add(pattern); err != nil {
		return nil, err
	}
	return b.s, nil
}

// Match reports whether name matches any pattern of s. A name longer than
// [MaxNameLen] matches nothing.
func (s *Set) Match(name string) bool {
	if s == nil || len(name) > MaxNameLen {
		return false
	}
	if _, ok := s.literals[name]; ok {
		return true
	}
	for _, g := range s.globs {
		if g.match(name) {
			return true
		}
	}
	return false
}

// Cost returns the bound of the steps of one Match: the sum of the costs
// of its patterns with wildcards (see [MaxCost]), the literals being
// looked up in a map.
func (s *Set) Cost() int {
	if s == nil {
		return 0
	}
	return s.cost
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
