package guard

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// The functions of strings and bytes whose output a script sizes with a
// count or by sharing one large value: Repeat (a count), Join (a slice of
// a million copies of one large string is small to hold) and Replace (each
// match of a short old string grows by a long new one). Each panics, in the
// script, rather than allocate more than MaxAlloc.

func checkOut(what string, n int64) {
	if n > MaxAlloc || n < 0 {
		panic(fmt.Sprintf("%s: the result exceeds the scripts' limit of %d MiB", what, MaxAlloc>>20))
	}
}

// Join is strings.Join with the MaxAlloc check.
func Join(elems []string, sep string) string {
	n := int64(len(sep)) * int64(max(len(elems)-1, 0))
	for _, s := range elems {
		n += int64(len(s))
		checkOut("Join", n)
	}
	checkOut("Join", n)
	return strings.Join(elems, sep)
}

// JoinBytes is bytes.Join with the MaxAlloc check.
func JoinBytes(s [][]byte, sep []byte) []byte {
	n := int64(len(sep)) * int64(max(len(s)-1, 0))
	for _, b := range s {
		n += int64(len(b))
		checkOut("Join", n)
	}
	checkOut("Join", n)
	return bytes.Join(s, sep)
}

// replaced is the length of s with up to n (all if negative) of its m
// matches of old replaced by new.
func replaced(s, oldLen, newLen, m, n int) int64 {
	if n >= 0 {
		m = min(m, n)
	}
	return int64(s) + int64(m)*int64(newLen-oldLen)
}

// Replace is strings.Replace with the MaxAlloc check.
func Replace(s, old, new string, n int) string {
	if len(new) > len(old) {
		m := utf8.RuneCountInString(s) + 1
		if old != "" {
			m = strings.Count(s, old)
		}
		checkOut("Replace", replaced(len(s), len(old), len(new), m, n))
	}
	return strings.Replace(s, old, new, n)
}

// ReplaceAll is strings.ReplaceAll with the MaxAlloc check.
func ReplaceAll(s, old, new string) string { return Replace(s, old, new, -1) }

// ReplaceBytes is bytes.Replace with the MaxAlloc check.
func ReplaceBytes(s, old, new []byte, n int) []byte {
	if len(new) > len(old) {
		m := utf8.RuneCount(s) + 1
		if len(old) > 0 {
			m = bytes.Count(s, old)
		}
		checkOut("Replace", replaced(len(s), len(old), len(new), m, n))
	}
	return bytes.Replace(s, old, new, n)
}

// ReplaceAllBytes is bytes.ReplaceAll with the MaxAlloc check.
func ReplaceAllBytes(s, old, new []byte) []byte { return ReplaceBytes(s, old, new, -1) }

// NewReplacer is strings.NewReplacer returning a Replacer with the
// MaxAlloc check.
func NewReplacer(oldnew ...string) *Replacer {
	return &Replacer{r: strings.NewReplacer(oldnew...), oldnew: append([]string(nil), oldnew...)}
}

// Replacer is strings.Replacer with the MaxAlloc check: scripts see it as
// strings.Replacer. Safe for concurrent use, as strings.Replacer.
type Replacer struct {
	r      *strings.Replacer
	oldnew []string
}

// bound is an upper bound of the length of s with every pair replaced.
func (r *Replacer) bound(s string) int64 {
	n := int64(len(s))
	for i := 0; i+1 < len(r.oldnew); i += 2 {
		old, new := r.oldnew[i], r.oldnew[i+1]
		if len(new) <= len(old) {
			continue
		}
		m := utf8.RuneCountInString(s) + 1
		if old != "" {
			m = strings.Count(s, old)
		}
		n += int64(m) * int64(len(new)-len(old))
		checkOut("Replace", n)
	}
	return n
}

// Replace is strings.Replacer.Replace with the MaxAlloc check.
func (r *Replacer) Replace(s string) string {
	if r.r == nil {
		panic("strings: Replace of a Replacer not made by NewReplacer")
	}
	checkOut("Replace", r.bound(s))
	return r.r.Replace(s)
}

// WriteString is strings.Replacer.WriteString with the MaxAlloc check.
func (r *Replacer) WriteString(w io.Writer, s string) (int, error) {
	if r.r == nil {
		panic("strings: WriteString of a Replacer not made by NewReplacer")
	}
	checkOut("Replace", r.bound(s))
	return r.r.WriteString(w, s)
}
