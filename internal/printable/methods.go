package printable

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
)

// What fmt prints beyond a value's own text: its String or GoString
// method's, and the names of its type and fields.

var (
	stringerType   = reflect.TypeFor[fmt.Stringer]()
	goStringerType = reflect.TypeFor[fmt.GoStringer]()
)

// hasMethods reports whether fmt prints values of type t by a method:
// String, or GoString in %#v (with Walk.Verbose).
func (w *walker) hasMethods(t reflect.Type) bool {
	if t != w.lastType {
		w.lastType = t
		w.lastHas = t.Implements(stringerType) || w.names != nil && t.Implements(goStringerType)
	}
	return w.lastHas
}

// stringerSize is the length of what v's String method returns (and its
// GoString method, for %#v, if verbose), without the copy for a
// bytes.Buffer or strings.Builder. A panic of the method is the caller's,
// as a script's would be (and a watchdog's must unwind).
func stringerSize(v reflect.Value, verbose bool) int {
	if v.Kind() == reflect.Pointer && v.IsNil() {
		return len("<nil>")
	}
	n := 0
	x := v.Interface()
	if g, ok := x.(fmt.GoStringer); ok && verbose {
		n = len(g.GoString())
	}
	switch x := x.(type) {
	case *bytes.Buffer:
		return n + x.Len()
	case *strings.Builder:
		return n + x.Len()
	case fmt.Stringer:
		return n + len(x.String())
	}
	return n
}

// flatNames counts the names of the elements of v, a slice or array of
// strings or numbers, without visiting them.
func (w *walker) flatNames(v reflect.Value) {
	if w.names != nil {
		w.nameBytes += v.Len() * (len(v.Type().Elem().String()) + 8)
	}
}

// countNames adds what %#v, %+v and a verb that does not suit a value
// print of its type t: its name, and the names of a struct's fields.
func (w *walker) countNames(t reflect.Type) {
	if t.Kind() != reflect.Struct {
		w.nameBytes += len(t.String()) + 8 // "(" and ")(nil)", "%!d(" and "=)"
		return
	}
	n, ok := w.names[t]
	if !ok {
		n = len(t.String()) + 8 // "(" and ")(nil)" around it, among others
		if t.Kind() == reflect.Struct {
			for i := range t.NumField() {
				n += len(t.Field(i).Name) + 1 // "name:"
			}
		}
		w.names[t] = n
	}
	w.nameBytes += n
}
