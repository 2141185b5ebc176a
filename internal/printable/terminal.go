package printable

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Text makes text from an untrusted source safe to write to a terminal:
// control characters that a terminal would act on (C0 but newline and tab,
// DEL, C1, and so ESC and every sequence it starts: window titles, screen
// clearing, clipboard writes), Unicode's bidirectional overrides, and bytes
// that are not UTF-8 (which some terminals read as C1 controls) become Go
// escapes such as \x1b or \u202e. Everything else, and a text with nothing
// to escape, is returned as is.
func Text(s string) string { return escape(s, false) }

// Field is Text for a value printed within a line, such as a host name or
// a title: newlines and tabs are escaped too, so that it cannot forge
// lines or columns.
func Field(s string) string { return escape(s, true) }

func escape(s string, field bool) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c >= 0x20 && c < 0x7f || !field && (c == '\n' || c == '\t') {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if !unsafeRune(r, size) {
				i += size
				continue
			}
		}
		break
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		switch {
		case c >= 0x20 && c < 0x7f || !field && (c == '\n' || c == '\t'):
			b.WriteByte(c)
			i++
		case c < utf8.RuneSelf:
			fmt.Fprintf(&b, `\x%02x`, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				fmt.Fprintf(&b, `\x%02x`, c)
			case unsafeRune(r, size):
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				b.WriteString(s[i : i+size])
			}
			i += size
		}
	}
	return b.String()
}

// unsafeRune reports whether a decoded non-ASCII rune must be escaped: an
// invalid byte, or an UnsafeRune.
func unsafeRune(r rune, size int) bool {
	return r == utf8.RuneError && size == 1 || UnsafeRune(r)
}

// UnsafeRune reports whether a valid non-ASCII rune is one a terminal
// must not be sent as it is: a C1 control, or a bidirectional override
// or isolate. Text escapes them; so must any writer to a terminal that
// encodes its own way (NDJSON).
func UnsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}
