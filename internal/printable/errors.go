package printable

import (
	"errors"
	"reflect"
)

// Error trees (errors.Join, fmt.Errorf with several %w) are walked
// recursively by errors.Is and errors.As, and a joined error's message is
// made of its parts' messages: an error joined with itself forty times is a
// tree of 2^40 paths and a message of terabytes, though it holds forty
// values.

var joinErrorType = reflect.TypeOf(errors.Join(errors.New("")))

// MaxErrorPaths bounds the paths of an error tree (errors.Is visits each);
// no real tree comes near it, and errors.Join walks the whole tree each
// time it adds to it.
const MaxErrorPaths = 1 << 16

// ErrorSize returns the length of err's message, as errors.Join and fmt
// make it, without making it; or ErrDeep if its tree is more than MaxDepth
// joins deep (errors.Is recurses once per join), ErrLarge if it has more
// than MaxErrorPaths paths or its message more than MaxBytes. It calls the
// Error method of the errors in the tree that are not joins.
func ErrorSize(err error) (int, error) {
	w := errWalk{paths: MaxErrorPaths}
	n, e := w.walk(err, 0)
	if e == nil && n > MaxBytes {
		e = ErrLarge
	}
	return n, e
}

type errWalk struct{ paths int }

// walk follows a chain of single wraps in a loop and recurses into joins,
// as errors.Is does.
func (w *errWalk) walk(err error, depth int) (int, error) {
	n := -1 // err's message length, once known
	for err != nil {
		if depth > MaxDepth {
			return 0, ErrDeep
		}
		if w.paths--; w.paths < 0 {
			return 0, ErrLarge
		}
		switch x := err.(type) {
		case interface{ Unwrap() []error }:
			m := 0
			for i, c := range x.Unwrap() {
				if c == nil {
					continue
				}
				if i > 0 {
					m++
				}
				k, e := w.walk(c, depth+1)
				if e != nil {
					return 0, e
				}
				if m += k; m > MaxBytes {
					return 0, ErrLarge
				}
			}
			if n < 0 {
				n = m
				if reflect.TypeOf(err) != joinErrorType {
					n = messageLen(err) // its message was made with it
				}
			}
			return n, nil
		case interface{ Unwrap() error }:
			if n < 0 {
				n = messageLen(err)
			}
			err = x.Unwrap()
			continue
		}
		if n < 0 {
			n = messageLen(err)
		}
		return n, nil
	}
	return max(n, 0), nil
}

// scriptErrors is the package of yaegi's wrapper of a script's error
// values.
const scriptErrors = "github.com/traefik/yaegi/interp"

// messageLen is len(err.Error()), or 0 if Error panics (fmt recovers such
// a panic and prints a short note instead). A script's own error is not
// asked: its Error is script code, which may itself join errors (and so
// call ErrorSize again), and which runs under the watchdog when fmt calls
// it.
func messageLen(err error) (n int) {
	if t := reflect.TypeOf(err); t.PkgPath() == scriptErrors || (t.Kind() == reflect.Pointer && t.Elem().PkgPath() == scriptErrors) {
		return 0
	}
	defer func() {
		if recover() != nil {
			n = 0
		}
	}()
	return len(err.Error())
}
