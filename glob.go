package jstrace

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxPatternLen bounds the patterns of [On] and [Debug] (and of
// JSTRACE_DEBUG), in bytes.
const MaxPatternLen = 1024

// A namePattern is a parsed pattern of probe names, after the DEBUG
// variable of Node's debug package: alternatives separated by commas (or
// spaces), each a glob where "*" matches any run of characters (":"
// included) and "?" any one character; an alternative with a leading "-"
// excludes the names it matches. A name matches when it matches an
// included alternative and no excluded one; a pattern of exclusions only
// includes every other name.
type namePattern struct {
	include, exclude []string
}

var errEmptyPattern = errors.New("jstrace: empty pattern")

// parsePattern parses a pattern (see namePattern).
func parsePattern(s string) (*namePattern, error) {
	if len(s) > MaxPatternLen {
		return nil, fmt.Errorf("jstrace: pattern of %d bytes, longer than %d", len(s), MaxPatternLen)
	}
	if !utf8.ValidString(s) {
		return nil, errors.New("jstrace: pattern is not valid UTF-8")
	}
	p := &namePattern{}
	for _, alt := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		if x, ok := strings.CutPrefix(alt, "-"); ok {
			if x == "" {
				return nil, fmt.Errorf("jstrace: pattern %q: a lone \"-\"", s)
			}
			p.exclude = append(p.exclude, x)
			continue
		}
		p.include = append(p.include, alt)
	}
	switch {
	case len(p.include)+len(p.exclude) == 0:
		return nil, errEmptyPattern
	case len(p.include) == 0:
		p.include = []string{"*"}
	}
	return p, nil
}

// match reports whether name matches the pattern. It is called when
// probes are registered and subscriptions change, never per event.
func (p *namePattern) match(name string) bool {
	return anyGlob(p.include, name) && !anyGlob(p.exclude, name)
}

func anyGlob(globs []string, name string) bool {
	for _, g := range globs {
		if glob(g, name) {
			return true
		}
	}
	return false
}

// glob reports whether name matches pattern, where "*" matches any run of
// characters and "?" one character. It backtracks only to the last "*"
// seen, so a match costs at most len(pattern)×len(name) steps whatever
// the input: no exponential cases.
func glob(pattern, name string) bool {
	p, n := 0, 0
	star, resume := -1, 0 // after the last "*": its index, and where its run would end next
	for n < len(name) {
		if p < len(pattern) {
			switch c := pattern[p]; c {
			case '*':
				star, resume = p, n
				p++
				continue
			case '?':
				_, size := utf8.DecodeRuneInString(name[n:])
				p, n = p+1, n+size
				continue
			default:
				if c == name[n] {
					p, n = p+1, n+1
					continue
				}
			}
		}
		if star < 0 {
			return false
		}
		// Let the last "*" take one more character and try again.
		_, size := utf8.DecodeRuneInString(name[resume:])
		resume += size
		p, n = star+1, resume
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
