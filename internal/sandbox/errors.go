package sandbox

import (
	"cmp"
	"go/scanner"
	"go/token"
	"slices"
	"strings"
)

// Error is a problem found in a script, at a position.
type Error struct {
	Pos token.Position
	Msg string
}

func (e *Error) Error() string {
	if e.Pos.IsValid() {
		return e.Pos.String() + ": " + e.Msg
	}
	return e.Msg
}

// ErrorList is every problem found in a script, in source order. It is the
// error Check and Load return for a bad script.
type ErrorList []*Error

func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

func (l *ErrorList) add(pos token.Position, msg string) {
	*l = append(*l, &Error{Pos: pos, Msg: msg})
}

func (l ErrorList) err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// fromScanner converts go/parser's errors.
func fromScanner(el scanner.ErrorList) ErrorList {
	var l ErrorList
	for _, e := range el {
		l.add(e.Pos, e.Msg)
	}
	return l
}

// sort puts l in source order.
func (l ErrorList) sort() {
	slices.SortStableFunc(l, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Column, b.Pos.Column))
	})
}
