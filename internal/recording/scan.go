package recording

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// scanner reads the JSON of a record's fields, token by token, with no
// allocation but for strings: a recording's fields are a fixed grammar of
// objects, arrays, strings, numbers and literals (fromjson.go), which
// encoding/json's Decoder.Token reads several times slower. It keeps the
// first error; once set, its methods do nothing and return zero values.
type scanner struct {
	b   []byte
	i   int
	err error
}

func (s *scanner) fail(format string, args ...any) {
	if s.err == nil {
		s.err = fmt.Errorf("offset %d: %s", s.i, fmt.Sprintf(format, args...))
	}
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.err != nil || s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// delim consumes the byte c, after white space.
func (s *scanner) delim(c byte) {
	if got := s.peek(); s.err == nil && got != c {
		s.fail("want %q, have %s", string(c), s.what())
		return
	}
	s.i++
}

// more reports whether a list goes on after an element: it consumes a
// comma and says true, or sees the closing byte and says false.
func (s *scanner) more(end byte, first bool) bool {
	c := s.peek()
	if s.err != nil {
		return false
	}
	if c == end {
		return false
	}
	if !first {
		if c != ',' {
			s.fail("want \",\" or %q, have %s", string(end), s.what())
			return false
		}
		s.i++
	}
	return true
}

// what describes what is at the current position, for errors.
func (s *scanner) what() string {
	if s.i >= len(s.b) {
		return "the end"
	}
	r, _ := utf8.DecodeRune(s.b[s.i:])
	return fmt.Sprintf("%q", r)
}

// isString reports whether a string comes next.
func (s *scanner) isString() bool { return s.peek() == '"' }

// str reads a string. One with no escape is copied, invalid UTF-8 becoming
// U+FFFD (as encoding/json does); one with escapes is decoded by
// encoding/json.
func (s *scanner) str() string {
	if s.peek() != '"' {
		s.fail("want a string, have %s", s.what())
		return ""
	}
	start := s.i
	s.i++
	escaped := false
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			raw := s.b[start:s.i]
			if escaped {
				var v string
				if err := json.Unmarshal(raw, &v); err != nil {
					s.i = start
					s.fail("bad string: %v", err)
				}
				return v
			}
			return string(bytesToValidUTF8(raw[1 : len(raw)-1]))
		case c == '\\':
			escaped = true
			s.i += 2
		case c < 0x20:
			s.fail("control character %q in a string", c)
			return ""
		default:
			s.i++
		}
	}
	s.i = start
	s.fail("unterminated string")
	return ""
}

func bytesToValidUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			out = append(out, "\uFFFD"...)
		} else {
			out = append(out, b[:n]...)
		}
		b = b[n:]
	}
	return out
}

// number reads a JSON number and returns its text.
func (s *scanner) number() string {
	s.ws()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case s.i < len(s.b) && s.b[s.i] >= '1' && s.b[s.i] <= '9':
		s.digits()
	default:
		s.i = start
		s.fail("want a number, have %s", s.what())
		return ""
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if !s.digits() {
			s.fail("bad number")
			return ""
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if !s.digits() {
			s.fail("bad number")
			return ""
		}
	}
	return string(s.b[start:s.i])
}

func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

// literal reads one of true, false and null.
func (s *scanner) literal() string {
	s.ws()
	for _, w := range []string{"true", "false", "null"} {
		if len(s.b)-s.i >= len(w) && string(s.b[s.i:s.i+len(w)]) == w {
			s.i += len(w)
			return w
		}
	}
	s.fail("want true, false or null, have %s", s.what())
	return ""
}

// end checks that nothing but white space is left.
func (s *scanner) end() {
	if s.peek(); s.err == nil && s.i != len(s.b) {
		s.fail("trailing %s", s.what())
	}
}

// skip reads any JSON value, nesting at most MaxDepth deep, and returns
// its text.
func (s *scanner) skip(depth int) []byte {
	if depth > MaxDepth {
		s.fail("values nested deeper than %d", MaxDepth)
		return nil
	}
	c := s.peek()
	start := s.i
	switch {
	case s.err != nil:
	case c == '"':
		s.str()
	case c == '{' || c == '[':
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		s.i++
		for first := true; s.more(end, first); first = false {
			if c == '{' {
				s.str()
				s.delim(':')
			}
			s.skip(depth + 1)
		}
		s.delim(end)
	case c == '-' || (c >= '0' && c <= '9'):
		s.number()
	default:
		s.literal()
	}
	if s.err != nil {
		return nil
	}
	return s.b[start:s.i]
}
