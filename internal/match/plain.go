package match

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/gobwas/glob/syntax"
)

// A plain pattern, without groups, compiled into a sequence of tokens and
// matched by the one-star backtracking walk of research.swtch.com/glob:
// on a mismatch, the walk restarts from the last star, one rune further.
// Without separators "*" and "**" both match any run of characters, so a
// later star can take over whatever an earlier one could have matched, and
// only the last star's restart point is kept: a match costs at most the
// name's length times the tokens after the first star (see cost), whatever
// the name. The glob engine agrees on every match (FuzzExpand checks it);
// it is used only to check the pattern.
type plain struct {
	src  string // the pattern
	toks []token
	cost int // see [plain.cost]
}

type tokenKind uint8

const (
	tokText  tokenKind = iota // text
	tokStar                   // "*" or "**"
	tokOne                    // "?"
	tokClass                  // "[…]"
)

type token struct {
	kind   tokenKind
	text   string    // tokText: the text; tokClass: the listed runes
	lo, hi rune      // tokClass with a range
	not    bool      // tokClass negated
	ascii  [2]uint64 // tokClass: whether it has each ASCII character
}

// compilePlain compiles a pattern without groups; ok is false if it is a
// literal, which a set matches with a map instead, text being the literal.
func compilePlain(p string) (pl *plain, text string, ok bool, err error) {
	var toks []token
	lex := syntax.NewLexer(p)
	for {
		tok := lex.Next()
		switch tok.Type {
		case syntax.EOF:
			pl := &plain{src: p, toks: toks}
			if !pl.literal() {
				pl.cost = pl.computeCost()
				return pl, "", true, nil
			}
			if len(toks) == 1 {
				text = toks[0].text
			}
			return nil, text, false, nil
		case syntax.Text:
			if n := len(toks); n > 0 && toks[n-1].kind == tokText {
				toks[n-1].text += tok.Data
			} else {
				toks = append(toks, token{kind: tokText, text: tok.Data})
			}
		case syntax.Any, syntax.Super:
			if n := len(toks); n == 0 || toks[n-1].kind != tokStar { // "**" is "*"
				toks = append(toks, token{kind: tokStar})
			}
		case syntax.Single:
			toks = append(toks, token{kind: tokOne})
		case syntax.RangeOpen:
			t := token{kind: tokClass}
		class:
			for {
				switch tok := lex.Next(); tok.Type {
				case syntax.Not:
					t.not = true
				case syntax.Text:
					t.text = tok.Data
				case syntax.RangeLo:
					t.lo, _ = utf8.DecodeRuneInString(tok.Data)
				case syntax.RangeHi:
					t.hi, _ = utf8.DecodeRuneInString(tok.Data)
				case syntax.RangeBetween:
				case syntax.RangeClose:
					break class
				default:
					return nil, "", false, errors.New("malformed character class")
				}
			}
			for c := range rune(utf8.RuneSelf) {
				if t.in(c) {
					t.ascii[c>>6] |= 1 << (c & 63)
				}
			}
			toks = append(toks, t)
		default:
			return nil, "", false, errors.New("unexpected " + tok.Type.String())
		}
	}
}

func (p *plain) literal() bool {
	return len(p.toks) == 0 || len(p.toks) == 1 && p.toks[0].kind == tokText
}

// computeCost bounds the steps of matching a name of MaxNameLen bytes: the
// tokens before the first star are walked once, those after it once per
// restart, at most once per character of the name; a trailing star ends
// the walk at once. A step is a token, a long text or class counting
// more.
func (p *plain) computeCost() int {
	toks := p.toks
	if n := len(toks); n > 0 && toks[n-1].kind == tokStar {
		toks = toks[:n-1]
	}
	head, tail, star := 1, 0, false
	for _, t := range toks {
		c := 1
		switch t.kind {
		case tokText:
			c += len(t.text) / 32
		case tokClass:
			c += len(t.text) / 16
		case tokStar:
			star = true
		}
		if star {
			tail += c
		} else {
			head += c
		}
	}
	return head + (MaxNameLen+1)*tail
}

// match reports whether name matches p.
func (p *plain) match(name string) bool {
	ok, _ := p.walk(name)
	return ok
}

// walk reports whether name matches p, and how many tokens it visited.
func (p *plain) walk(name string) (bool, int) {
	toks := p.toks
	steps := 0
	var (
		i, at      int  // the next token, and where in name
		restartTok = -1 // the token after the last star, if any
		restartAt  int  // where the last star's run ends
	)
	for {
		if i == len(toks) {
			if at == len(name) {
				return true, steps
			}
		} else {
			steps++
			t := &toks[i]
			ok := false
			switch t.kind {
			case tokStar:
				if i == len(toks)-1 {
					return true, steps // a trailing star takes the rest
				}
				i++
				restartTok, restartAt = i, at
				continue
			case tokText:
				if ok = strings.HasPrefix(name[at:], t.text); ok {
					at += len(t.text)
				}
			default: // tokOne, tokClass
				if at < len(name) {
					c := name[at]
					if c < utf8.RuneSelf {
						ok = t.kind == tokOne || t.ascii[c>>6]&(1<<(c&63)) != 0
						at++
					} else {
						r, n := utf8.DecodeRuneInString(name[at:])
						ok = t.kind == tokOne || t.in(r)
						at += n
					}
				}
			}
			if ok {
				i++
				continue
			}
		}
		// A mismatch: the last star takes one more rune, if any.
		if restartTok < 0 || restartAt >= len(name) {
			return false, steps
		}
		if name[restartAt] < utf8.RuneSelf {
			restartAt++
		} else {
			_, n := utf8.DecodeRuneInString(name[restartAt:])
			restartAt += n
		}
		if t := &toks[restartTok]; t.kind == tokText {
			// Only where the text after the star occurs can the walk go
			// on: jump there. A valid text cannot begin inside a rune,
			// so no occurrence is where the walk would not restart, and
			// the searches of a match scan the name once in all.
			j := strings.Index(name[restartAt:], t.text)
			if j < 0 {
				return false, steps
			}
			restartAt += j
		}
		i, at = restartTok, restartAt
	}
}

// in reports whether the class t has r.
func (t *token) in(r rune) bool {
	var in bool
	if t.text != "" {
		in = strings.ContainsRune(t.text, r)
	} else {
		in = t.lo <= r && r <= t.hi
	}
	return in != t.not
}
