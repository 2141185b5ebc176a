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
// bytes.Buffer, a strings.Builder or a type given to StringLen. A panic of the method is the caller's,
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
	if l, ok := x.(interface{ Len() int }); ok && lenTypes[v.Type()] {
		return n + l.Len()
	}
	if s, ok := x.(fmt.Stringer); ok {
		n += len(s.String())
	}
	return n
}

// lenTypes are the types whose Len method is the length of what their
// String method returns (and copies).
var lenTypes = map[reflect.Type]bool{
	reflect.TypeFor[*bytes.Buffer]():    true,
	reflect.TypeFor[*strings.Builder](): true,
}

// StringLen adds types whose Len method returns the length of their
// String method's result, such as wrappers of bytes.Buffer, so that Check
// need not call String. It must be called from an init function: Check
// reads the list without a lock.
func StringLen(types ...reflect.Type) {
	for _, t := range types {
		lenTypes[t] = true
	}
}

// Names count only beyond what leafText and byteText leave for them:
// each value's text takes at most 64 bytes of leafText, "%!d(uint8=255) "
// fills byteText.
const (
	nameRoom     = leafText - 64
	byteNameRoom = len("uint8")
)

// flatNames counts the names of the elements of v, a slice or array of
// strings or numbers, without visiting them.
func (w *walker) flatNames(v reflect.Value) {
	if w.names == nil {
		return
	}
	n := len(v.Type().Elem().String())
	if v.Type().Elem().Kind() == reflect.Uint8 {
		n -= byteNameRoom // byteText holds "%!d(uint8=)"
	} else {
		n += 8 - nameRoom
	}
	w.nameBytes += v.Len() * max(0, n)
}

// countNames adds what %#v, %+v and a verb that does not suit a value
// print of its type t: its name, and the names of a struct's fields,
// beyond what leafText leaves for them (nameRoom for each value).
func (w *walker) countNames(t reflect.Type) {
	if t.Kind() != reflect.Struct {
		w.nameBytes += max(0, len(t.String())+8-nameRoom) // "(" and ")(nil)", "%!d(" and "=)"
		return
	}
	n, ok := w.names[t]
	if !ok {
		n = len(t.String()) + 8 // "(" and ")(nil)" around it, among others
		for i := range t.NumField() {
			n += len(t.Field(i).Name) + 1 // "name:"
		}
		n = max(0, n-nameRoom*(1+t.NumField()))
		w.names[t] = n
	}
	w.nameBytes += n
}
