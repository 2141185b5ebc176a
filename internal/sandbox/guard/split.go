package guard

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Functions whose result a script sizes by its input's shape rather than
// its size: Split and Fields return a header (16 or 24 bytes) per piece, so
// a 256 MiB string split into bytes is 4 GiB; ToValidUTF8 puts the
// replacement at each invalid byte; FormatFloat allocates the precision it
// is given. Each panics, in the script, rather than make more than
// MaxAlloc.

const (
	stringHeader = 16
	sliceHeader  = 24
)

func checkPieces(what string, pieces, n, header int) {
	if n >= 0 {
		pieces = min(pieces, n)
	}
	checkOut(what, int64(pieces)*int64(header))
}

func stringPieces(s, sep string) int {
	if sep == "" {
		return utf8.RuneCountInString(s)
	}
	return strings.Count(s, sep) + 1
}

func bytePieces(s, sep []byte) int {
	if len(sep) == 0 {
		return utf8.RuneCount(s)
	}
	return bytes.Count(s, sep) + 1
}

// Split is strings.Split with the MaxAlloc check.
func Split(s, sep string) []string {
	checkPieces("Split", stringPieces(s, sep), -1, stringHeader)
	return strings.Split(s, sep)
}

// SplitN is strings.SplitN with the MaxAlloc check.
func SplitN(s, sep string, n int) []string {
	checkPieces("SplitN", stringPieces(s, sep), n, stringHeader)
	return strings.SplitN(s, sep, n)
}

// SplitAfter is strings.SplitAfter with the MaxAlloc check.
func SplitAfter(s, sep string) []string {
	checkPieces("SplitAfter", stringPieces(s, sep), -1, stringHeader)
	return strings.SplitAfter(s, sep)
}

// SplitAfterN is strings.SplitAfterN with the MaxAlloc check.
func SplitAfterN(s, sep string, n int) []string {
	checkPieces("SplitAfterN", stringPieces(s, sep), n, stringHeader)
	return strings.SplitAfterN(s, sep, n)
}

// runes calls f with each rune of s, or of b if s is empty, without
// copying either.
func runes(s string, b []byte, f func(rune)) {
	for _, r := range s {
		f(r)
	}
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		f(r)
		b = b[n:]
	}
}

// fields counts the space-separated fields of s or b.
func fields(s string, b []byte) int {
	n, in := 0, false
	runes(s, b, func(r rune) {
		if sp := unicode.IsSpace(r); !sp && !in {
			n++
			in = true
		} else if sp {
			in = false
		}
	})
	return n
}

// Fields is strings.Fields with the MaxAlloc check.
func Fields(s string) []string {
	checkPieces("Fields", fields(s, nil), -1, stringHeader)
	return strings.Fields(s)
}

// SplitBytes is bytes.Split with the MaxAlloc check.
func SplitBytes(s, sep []byte) [][]byte {
	checkPieces("Split", bytePieces(s, sep), -1, sliceHeader)
	return bytes.Split(s, sep)
}

// SplitNBytes is bytes.SplitN with the MaxAlloc check.
func SplitNBytes(s, sep []byte, n int) [][]byte {
	checkPieces("SplitN", bytePieces(s, sep), n, sliceHeader)
	return bytes.SplitN(s, sep, n)
}

// SplitAfterBytes is bytes.SplitAfter with the MaxAlloc check.
func SplitAfterBytes(s, sep []byte) [][]byte {
	checkPieces("SplitAfter", bytePieces(s, sep), -1, sliceHeader)
	return bytes.SplitAfter(s, sep)
}

// SplitAfterNBytes is bytes.SplitAfterN with the MaxAlloc check.
func SplitAfterNBytes(s, sep []byte, n int) [][]byte {
	checkPieces("SplitAfterN", bytePieces(s, sep), n, sliceHeader)
	return bytes.SplitAfterN(s, sep, n)
}

// FieldsBytes is bytes.Fields with the MaxAlloc check.
func FieldsBytes(s []byte) [][]byte {
	checkPieces("Fields", fields("", s), -1, sliceHeader)
	return bytes.Fields(s)
}

// invalidRuns counts the runs of invalid UTF-8 in s or b, each of which
// ToValidUTF8 replaces (at most: a valid U+FFFD counts too).
func invalidRuns(s string, b []byte) int {
	n, in := 0, false
	runes(s, b, func(r rune) {
		if bad := r == utf8.RuneError; bad && !in {
			n++
			in = true
		} else if !bad {
			in = false
		}
	})
	return n
}

// ToValidUTF8 is strings.ToValidUTF8 with the MaxAlloc check.
func ToValidUTF8(s, replacement string) string {
	checkOut("ToValidUTF8", int64(len(s))+int64(invalidRuns(s, nil))*int64(len(replacement)))
	return strings.ToValidUTF8(s, replacement)
}

// ToValidUTF8Bytes is bytes.ToValidUTF8 with the MaxAlloc check.
func ToValidUTF8Bytes(s, replacement []byte) []byte {
	checkOut("ToValidUTF8", int64(len(s))+int64(invalidRuns("", s))*int64(len(replacement)))
	return bytes.ToValidUTF8(s, replacement)
}

// MaxPrecision bounds the precision of FormatFloat and AppendFloat, as fmt
// bounds its own.
const MaxPrecision = 1e6

func checkPrecision(prec int) {
	if prec > MaxPrecision {
		panic(fmt.Sprintf("strconv: precision %d exceeds the scripts' limit of %d", prec, int(MaxPrecision)))
	}
}

// FormatFloat is strconv.FormatFloat with precision at most MaxPrecision.
func FormatFloat(f float64, fmt byte, prec, bitSize int) string {
	checkPrecision(prec)
	return strconv.FormatFloat(f, fmt, prec, bitSize)
}

// AppendFloat is strconv.AppendFloat with precision at most MaxPrecision.
func AppendFloat(dst []byte, f float64, fmt byte, prec, bitSize int) []byte {
	checkPrecision(prec)
	return strconv.AppendFloat(dst, f, fmt, prec, bitSize)
}
