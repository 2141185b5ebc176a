package match

import (
	"fmt"
	"maps"
	"slices"
)

// A Builder builds a [Set] a pattern at a time. Add costs what its own
// pattern does, however many the set already has: a script calling
// traces.On a thousand times costs a thousand patterns' work, not half a
// million (as copying the set at each, as [Set.With] does, would). The
// zero Builder holds the empty set.
//
// A Builder is not safe for concurrent use; the Sets it returns are, and
// later Adds leave them unchanged.
type Builder struct {
	s      *Set
	shared bool // Set returned s: the next Add that changes it copies it
}

// Add adds pattern, or refuses it with the error [Set.With] would give,
// leaving the set as it was. A pattern the set has already is a no-op.
func (b *Builder) Add(pattern string) error {
	if b.s != nil && slices.Contains(b.s.patterns, pattern) {
		return nil
	}
	if b.s.Len() >= MaxPatterns {
		return fmt.Errorf("more than the limit of %d patterns", MaxPatterns)
	}
	globs, literals, err := compileOne(pattern)
	if err != nil {
		return err
	}
	s := b.own()
	var added []string // the literals new to s, removed again if s would pass a limit
	for _, l := range literals {
		if _, ok := s.literals[l]; !ok {
			s.literals[l] = struct{}{}
			added = append(added, l)
		}
	}
	nGlobs, cost := len(s.globs), s.cost
	for _, g := range globs {
		if !slices.ContainsFunc(s.globs, func(h *plain) bool { return h.src == g.src }) {
			s.globs = append(s.globs, g)
			s.cost += g.cost
		}
	}
	if err := s.checkLimits(pattern); err != nil {
		for _, l := range added {
			delete(s.literals, l)
		}
		clear(s.globs[nGlobs:])
		s.globs, s.cost = s.globs[:nGlobs], cost
		return err
	}
	s.patterns = append(s.patterns, pattern)
	return nil
}

// Set returns the set built so far.
func (b *Builder) Set() *Set {
	b.shared = true
	return b.s
}

// own returns the set to change: b's own, or a copy of the one Set
// returned.
func (b *Builder) own() *Set {
	switch {
	case b.s == nil:
		b.s = &Set{literals: map[string]struct{}{}}
	case b.shared:
		b.s = &Set{
			patterns: slices.Clone(b.s.patterns),
			literals: maps.Clone(b.s.literals),
			globs:    slices.Clone(b.s.globs),
			cost:     b.s.cost,
		}
		if b.s.literals == nil { // a zero Set
			b.s.literals = map[string]struct{}{}
		}
	}
	b.shared = false
	return b.s
}

// checkLimits returns the error for a set that pattern took past a limit.
func (s *Set) checkLimits(pattern string) error {
	switch {
	case len(s.literals) > MaxLiterals:
		return tooComplex(pattern, "the patterns would expand to more than the limit of %d names without wildcards in all", MaxLiterals)
	case len(s.globs) > MaxGlobs:
		return tooComplex(pattern, "the patterns would expand to more than the limit of %d plain patterns with wildcards in all", MaxGlobs)
	case s.cost > MaxCost:
		return tooComplex(pattern, "the patterns would cost %d to match, more than the limit of %d in all", s.cost, MaxCost)
	}
	return nil
}
