package match

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gobwas/glob"
	"github.com/gobwas/glob/syntax"
)

// Limits of one pattern, checked before anything is compiled. Patterns come
// from scripts, that is from whoever may attach, and the glob engine
// backtracks: "{*,*}{*,*}{*,*}{*,*}{*,*}[x]" takes a minute to fail on a
// 64-byte name, and forty groups never end. Real probe patterns look like
// "request:start", "db:*" or "{http,grpc}:*" and stay far below these.
const (
	// MaxPatternLen bounds the length of a pattern, in bytes.
	MaxPatternLen = 256
	// MaxWildcards bounds the "*", "**" and "?" of a pattern.
	MaxWildcards = 8
	// MaxClasses bounds the character classes ("[…]") of a pattern.
	MaxClasses = 8
	// MaxNesting bounds how deep "{…}" groups nest: "{a,{b,c}}" is 2.
	MaxNesting = 3
	// MaxAlternatives bounds the product of the alternatives of a pattern:
	// the number of plain patterns it stands for once its groups are
	// expanded ("{a,b}:{c,d}" stands for 4).
	MaxAlternatives = 32
	// MaxNameLen bounds the names a Set matches: a longer name matches no
	// pattern, so that the cost of a match is bounded whatever the names a
	// service makes up at run time.
	MaxNameLen = 256
)

// ErrTooComplex is wrapped by the errors of patterns beyond the limits.
var ErrTooComplex = errors.New("too complex")

// A node of a pattern's group structure: a piece of pattern text copied as
// is, or a group whose alternatives are sequences of nodes.
type node struct {
	text string
	alts [][]node // nil for text
}

// compileOne checks pattern against the limits, then compiles it into
// the plain patterns, without groups, it stands for: the literals apart,
// the others as sequences of tokens. Matching a plain pattern costs at
// most the length of the name times its tokens after its first star (see
// [plain]); the groups are what makes the glob engine's backtracking
// explode, so none is left for it.
func compileOne(pattern string) (globs []*plain, literals []string, err error) {
	if len(pattern) > MaxPatternLen {
		return nil, nil, tooComplex(pattern, "%d bytes, more than the limit of %d bytes", len(pattern), MaxPatternLen)
	}
	seq, err := parse(pattern)
	if err != nil {
		return nil, nil, err
	}
	if n := expansions(seq); n > MaxAlternatives {
		return nil, nil, tooComplex(pattern, "its groups expand to more than the limit of %d alternatives", MaxAlternatives)
	}
	for _, p := range expand(seq, []string{""}) {
		if _, err := glob.Compile(p); err != nil {
			return nil, nil, fmt.Errorf("bad pattern %s: %w", quote(pattern), err)
		}
		g, text, ok, err := compilePlain(p)
		switch {
		case err != nil:
			return nil, nil, fmt.Errorf("bad pattern %s: %w", quote(pattern), err)
		case ok:
			globs = append(globs, g)
		default:
			literals = append(literals, text)
		}
	}
	return globs, literals, nil
}

// parse lexes pattern with the glob engine's own lexer, so that both agree
// on what is a group, counting what the limits bound on the way, and
// returns its group structure.
func parse(pattern string) ([]node, error) {
	var (
		wildcards, classes int
		stack              [][][]node // the alternatives of the open groups
		seq                []node     // the sequence being read
		from               int        // where its current text began
	)
	lex := syntax.NewLexer(pattern)
	for {
		tok := lex.Next()
		at := lex.Offset() - 1 // where a "{", "," or "}" token is
		switch tok.Type {
		case syntax.EOF:
			if len(stack) > 0 {
				return nil, syntaxError(pattern)
			}
			return appendText(seq, pattern[from:]), nil
		case syntax.Error:
			return nil, syntaxError(pattern)
		case syntax.Any, syntax.Super, syntax.Single:
			if wildcards++; wildcards > MaxWildcards {
				return nil, tooComplex(pattern, "more than the limit of %d wildcards (\"*\", \"**\", \"?\")", MaxWildcards)
			}
		case syntax.RangeOpen:
			if classes++; classes > MaxClasses {
				return nil, tooComplex(pattern, "more than the limit of %d character classes (\"[…]\")", MaxClasses)
			}
		case syntax.TermsOpen:
			if len(stack) == MaxNesting {
				return nil, tooComplex(pattern, "groups nested deeper than the limit of %d", MaxNesting)
			}
			// The enclosing sequence is kept as the group's last
			// alternative until the group closes.
			stack = append(stack, [][]node{appendText(seq, pattern[from:at])})
			seq, from = nil, at+1
		case syntax.TermSeparator:
			top := &stack[len(stack)-1]
			*top = append(*top, appendText(seq, pattern[from:at]))
			seq, from = nil, at+1
		case syntax.TermsClose:
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			outer, alts := top[0], append(top[1:], appendText(seq, pattern[from:at]))
			seq, from = append(outer, node{alts: alts}), at+1
		}
	}
}

func appendText(seq []node, text string) []node {
	if text == "" {
		return seq
	}
	return append(seq, node{text: text})
}

// expansions returns the number of plain patterns seq stands for, or
// MaxAlternatives+1 if more.
func expansions(seq []node) int {
	n := 1
	for _, nd := range seq {
		if nd.alts == nil {
			continue
		}
		sum := 0
		for _, alt := range nd.alts {
			sum = min(sum+expansions(alt), MaxAlternatives+1)
		}
		n = min(n*max(sum, 1), MaxAlternatives+1)
	}
	return n
}

// expand returns every prefix followed by every plain pattern seq stands
// for.
func expand(seq []node, prefixes []string) []string {
	for _, nd := range seq {
		if nd.alts == nil {
			for i := range prefixes {
				prefixes[i] += nd.text
			}
			continue
		}
		var next []string
		for _, alt := range nd.alts {
			next = append(next, expand(alt, append([]string(nil), prefixes...))...)
		}
		prefixes = next
	}
	return prefixes
}

// syntaxError returns the glob engine's own error for a pattern the lexer
// refused: the pattern is within MaxPatternLen and its groups are unclosed or
// its tokens wrong, so compiling it stops early.
func syntaxError(pattern string) error {
	_, err := glob.Compile(pattern)
	if err == nil {
		err = errors.New("malformed groups")
	}
	return fmt.Errorf("bad pattern %s: %w", quote(pattern), err)
}

func tooComplex(pattern, format string, args ...any) error {
	return fmt.Errorf("pattern %s: %w: %s", quote(pattern), ErrTooComplex, fmt.Sprintf(format, args...))
}

// quote quotes pattern for an error message, cut if long.
func quote(pattern string) string {
	const max = 64
	if len(pattern) > max {
		return fmt.Sprintf("%q…", strings.ToValidUTF8(pattern[:max], ""))
	}
	return fmt.Sprintf("%q", pattern)
}
