package guard

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/jstrace-go/jstrace/internal/sandbox/halt"
)

// Regexp is regexp.Regexp for scripts, who see it under that name: yaegi
// calls methods of native types through reflect, so the original's could
// not be guarded. Its replacing, expanding and FindAll methods refuse to
// make more than MaxAlloc (a million empty matches each replaced by a
// megabyte is a terabyte), and the callbacks of ReplaceAllFunc and
// ReplaceAllStringFunc unwind a killed script (see package halt). Like
// regexp.Regexp, it is safe for concurrent use.
type Regexp struct{ re *regexp.Regexp }

func wrapRegexp(re *regexp.Regexp, err error) (*Regexp, error) {
	if err != nil {
		return nil, err
	}
	return &Regexp{re}, nil
}

// Compile is regexp.Compile.
func Compile(expr string) (*Regexp, error) { return wrapRegexp(regexp.Compile(expr)) }

// CompilePOSIX is regexp.CompilePOSIX.
func CompilePOSIX(expr string) (*Regexp, error) { return wrapRegexp(regexp.CompilePOSIX(expr)) }

// MustCompile is regexp.MustCompile.
func MustCompile(str string) *Regexp { return &Regexp{regexp.MustCompile(str)} }

// MustCompilePOSIX is regexp.MustCompilePOSIX.
func MustCompilePOSIX(str string) *Regexp { return &Regexp{regexp.MustCompilePOSIX(str)} }

// r returns the regexp, refusing a zero Regexp as regexp would (a nil
// pointer).
func (re *Regexp) r() *regexp.Regexp {
	if re.re == nil {
		panic("regexp: use of a Regexp not made by Compile")
	}
	return re.re
}

// outBudget counts an output's bytes and panics past MaxAlloc.
type outBudget struct {
	what string
	n    int64
}

func (b *outBudget) add(n int) {
	if b.n += int64(n); b.n > MaxAlloc {
		panic(fmt.Sprintf("regexp: %s would make more than the scripts' limit of %d MiB", b.what, MaxAlloc>>20))
	}
}

// checkReplace bounds the output of replacing every match in src by repl,
// expanded if expand: each match becomes at most repl with every $
// reference expanded to the whole match (submatches lie within it).
// matches counts the matches on a first pass that keeps nothing.
func checkReplace(what string, srcLen int, repl string, expand bool, matches func(func(int))) {
	d := 0
	if expand {
		d = strings.Count(repl, "$")
	}
	b := outBudget{what: what}
	b.add(srcLen)
	matches(func(m int) { b.add(len(repl) + d*m - m) })
}

func (re *Regexp) stringMatches(src string) func(func(int)) {
	return func(f func(int)) { re.r().ReplaceAllStringFunc(src, func(m string) string { f(len(m)); return "" }) }
}

func (re *Regexp) byteMatches(src []byte) func(func(int)) {
	return func(f func(int)) { re.r().ReplaceAllFunc(src, func(m []byte) []byte { f(len(m)); return nil }) }
}

// MaxMatches bounds the matches of one FindAll or Split call: each costs a
// header or more in the result, and the search for them runs in native
// code that the watchdog cannot interrupt.
const MaxMatches = 1 << 20

// capN bounds FindAll's n so that its result stays within MaxMatches and
// MaxAlloc, given what each match costs at least; more matches than that
// panic.
func capN(n, per int) (int, int) {
	limit := min(int(MaxAlloc/int64(per)), MaxMatches)
	if n < 0 || n > limit {
		return limit + 1, limit
	}
	return n, -1
}

func checkCount(got, limit int) {
	if limit >= 0 && got > limit {
		panic(fmt.Sprintf("regexp: more than %d matches exceed the scripts' limit", limit))
	}
}

func (re *Regexp) ReplaceAllString(src, repl string) string {
	checkReplace("ReplaceAllString", len(src), repl, true, re.stringMatches(src))
	return re.r().ReplaceAllString(src, repl)
}

func (re *Regexp) ReplaceAllLiteralString(src, repl string) string {
	checkReplace("ReplaceAllLiteralString", len(src), repl, false, re.stringMatches(src))
	return re.r().ReplaceAllLiteralString(src, repl)
}

func (re *Regexp) ReplaceAll(src, repl []byte) []byte {
	checkReplace("ReplaceAll", len(src), string(repl), true, re.byteMatches(src))
	return re.r().ReplaceAll(src, repl)
}

func (re *Regexp) ReplaceAllLiteral(src, repl []byte) []byte {
	checkReplace("ReplaceAllLiteral", len(src), string(repl), false, re.byteMatches(src))
	return re.r().ReplaceAllLiteral(src, repl)
}

func (re *Regexp) ReplaceAllStringFunc(src string, repl func(string) string) string {
	b := outBudget{what: "ReplaceAllStringFunc"}
	b.add(len(src))
	return re.r().ReplaceAllStringFunc(src, func(m string) string {
		halt.Check()
		s := repl(m)
		b.add(len(s))
		return s
	})
}

func (re *Regexp) ReplaceAllFunc(src []byte, repl func([]byte) []byte) []byte {
	b := outBudget{what: "ReplaceAllFunc"}
	b.add(len(src))
	return re.r().ReplaceAllFunc(src, func(m []byte) []byte {
		halt.Check()
		s := repl(m)
		b.add(len(s))
		return s
	})
}

func (re *Regexp) Expand(dst []byte, template []byte, src []byte, match []int) []byte {
	b := outBudget{what: "Expand"}
	b.add(len(dst) + len(template) + bytes.Count(template, []byte("$"))*len(src))
	return re.r().Expand(dst, template, src, match)
}

func (re *Regexp) ExpandString(dst []byte, template string, src string, match []int) []byte {
	b := outBudget{what: "ExpandString"}
	b.add(len(dst) + len(template) + strings.Count(template, "$")*len(src))
	return re.r().ExpandString(dst, template, src, match)
}

// The FindAll methods: each match costs its slice or string header, and
// the submatch ones a header per group.

func (re *Regexp) FindAll(b []byte, n int) [][]byte {
	n, limit := capN(n, 24)
	out := re.r().FindAll(b, n)
	checkCount(len(out), limit)
	return out
}

func (re *Regexp) FindAllIndex(b []byte, n int) [][]int {
	n, limit := capN(n, 40)
	out := re.r().FindAllIndex(b, n)
	checkCount(len(out), limit)
	return out
}

func (re *Regexp) FindAllString(s string, n int) []string {
	n, limit := capN(n, 16)
	out := re.r().FindAllString(s, n)
	checkCount(len(out), limit)
	return out
}

func (re *Regexp) FindAllStringIndex(s string, n int) [][]int {
	n, limit := capN(n, 40)
	out := re.r().FindAllStringIndex(s, n)
	checkCount(len(out), limit)
	return out
}

func (re *Regexp) FindAllStringSubmatch(s string, n int) [][]string {
	n, limit := capN(n, 24+16*(re.r().NumSubexp()+1))
	out := re.r().FindAllStringSubmatch(s, n)
	checkCount(len(out), limit)
	return out
}

func (re *Regexp) FindAllStringSubmatchIndex(s string, n int) [][]int {
	n, limit := capN(n, 24+16*(re.r().NumSubexp()+1))
	out := re.r().FindAllStringSubmatchIndex(s, n)
	checkCount(len(out), limit)
	return out
}

func (re *Regexp) FindAllSubmatch(b []byte, n int) [][][]byte {
	n, limit := capN(n, 24+24*(re.r().NumSubexp()+1))
	out := re.r().FindAllSubmatch(b, n)
	checkCount(len(out), limit)
	return out
}

func (re *Regexp) FindAllSubmatchIndex(b []byte, n int) [][]int {
	n, limit := capN(n, 24+16*(re.r().NumSubexp()+1))
	out := re.r().FindAllSubmatchIndex(b, n)
	checkCount(len(out), limit)
	return out
}

func (re *Regexp) Split(s string, n int) []string {
	n, limit := capN(n, 16)
	out := re.r().Split(s, n)
	checkCount(len(out), limit)
	return out
}

// The rest as regexp.Regexp.

func (re *Regexp) AppendText(b []byte) ([]byte, error)   { return re.r().AppendText(b) }
func (re *Regexp) Copy() *Regexp                         { return &Regexp{re.r().Copy()} }
func (re *Regexp) Find(b []byte) []byte                  { return re.r().Find(b) }
func (re *Regexp) FindIndex(b []byte) []int              { return re.r().FindIndex(b) }
func (re *Regexp) FindReaderIndex(r io.RuneReader) []int { return re.r().FindReaderIndex(r) }
func (re *Regexp) FindReaderSubmatchIndex(r io.RuneReader) []int {
	return re.r().FindReaderSubmatchIndex(r)
}
func (re *Regexp) FindString(s string) string             { return re.r().FindString(s) }
func (re *Regexp) FindStringIndex(s string) []int         { return re.r().FindStringIndex(s) }
func (re *Regexp) FindStringSubmatch(s string) []string   { return re.r().FindStringSubmatch(s) }
func (re *Regexp) FindStringSubmatchIndex(s string) []int { return re.r().FindStringSubmatchIndex(s) }
func (re *Regexp) FindSubmatch(b []byte) [][]byte         { return re.r().FindSubmatch(b) }
func (re *Regexp) FindSubmatchIndex(b []byte) []int       { return re.r().FindSubmatchIndex(b) }
func (re *Regexp) LiteralPrefix() (string, bool)          { return re.r().LiteralPrefix() }
func (re *Regexp) Longest()                               { re.r().Longest() }
func (re *Regexp) MarshalText() ([]byte, error)           { return re.r().MarshalText() }
func (re *Regexp) Match(b []byte) bool                    { return re.r().Match(b) }
func (re *Regexp) MatchReader(r io.RuneReader) bool       { return re.r().MatchReader(r) }
func (re *Regexp) MatchString(s string) bool              { return re.r().MatchString(s) }
func (re *Regexp) NumSubexp() int                         { return re.r().NumSubexp() }
func (re *Regexp) String() string                         { return re.r().String() }
func (re *Regexp) SubexpIndex(name string) int            { return re.r().SubexpIndex(name) }
func (re *Regexp) SubexpNames() []string                  { return re.r().SubexpNames() }

// UnmarshalText is regexp.Regexp.UnmarshalText; it also makes a zero
// Regexp usable.
func (re *Regexp) UnmarshalText(text []byte) error {
	if re.re == nil {
		re.re = &regexp.Regexp{}
	}
	return re.re.UnmarshalText(text)
}
