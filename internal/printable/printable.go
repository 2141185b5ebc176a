// Package printable checks that fmt can print values from a script without
// recursing without bound: a map or slice that contains itself makes fmt
// overflow the stack, which Go cannot recover from.
package printable

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
)

// Limits of what Check accepts: nesting as fmt follows it, the number of
// values visited, and the bytes of the strings and byte slices among them
// (a slice of a million copies of one large string is small to hold, huge
// to print).
const (
	MaxDepth = 64
	MaxNodes = 1 << 20
	MaxBytes = 256 << 20
)

// Errors of Check.
var (
	ErrCycle = errors.New("value contains itself")
	ErrDeep  = errors.New("value nested too deep to print")
	ErrLarge = errors.New("value too large to print")
)

type node struct {
	kind reflect.Kind
	ptr  uintptr
	len  int
}

// Check reports whether fmt can print every argument: no map, slice or
// interface that contains itself, at most MaxDepth levels, MaxNodes values
// and MaxBytes of strings. Like fmt, it follows pointers only at the top
// level.
func Check(args ...any) error {
	_, err := Walk{}.Check(args...)
	return err
}

// A Walk is a Check for another native function that recurses over the
// values it is given (encoding/json). The zero value is Check's.
type Walk struct {
	// FollowPointers follows pointers at every level, as encoding/json
	// does, and reports pointer cycles. Default: the top level only, as
	// fmt.
	FollowPointers bool
	// MaxDepth bounds the nesting. Default: MaxDepth.
	MaxDepth int
	// Verbose measures the values as fmt prints them in %+v, %#v or a
	// verb that does not suit them ("%!d(main.T=…)"): the names of their
	// types and fields count in Size.Names, an error is walked for its
	// fields as well as measured for its message, and a nested pointer
	// for what it points to. Default: off, Names stays zero.
	Verbose bool
}

// Size is what a Walk measured: the values visited, the bytes of their
// strings and byte slices, and the sum of the values' nesting depths (what
// indenting them costs, in indents). The other counts are what fmt's
// widths and precisions multiply (see CheckPrintf): fmt pads every value
// it meets, each element of a slice, array, map or struct, to the verb's
// width.
type Size struct {
	Nodes, Bytes, Depths int
	// Strings is the bytes of the strings and error messages among the
	// values (Bytes without the byte slices).
	Strings int
	// ByteElems is the number of elements of byte slices and arrays:
	// fmt prints each on its own, padded, except for %s, %q, %x and %X.
	ByteElems int
	// Floats is the number of floating-point values, complex ones
	// counted twice (fmt pads each part).
	Floats int
	// Names is the bytes of the type and field names that %+v, %#v and
	// verbs that do not suit a value print, with Walk.Verbose only.
	Names int
}

func (s Size) minus(t Size) Size {
	return Size{Nodes: s.Nodes - t.Nodes, Bytes: s.Bytes - t.Bytes, Depths: s.Depths - t.Depths, Strings: s.Strings - t.Strings,
		ByteElems: s.ByteElems - t.ByteElems, Floats: s.Floats - t.Floats, Names: s.Names - t.Names}
}

// Check is Check with the Walk's settings, and the size of the arguments.
func (c Walk) Check(args ...any) (Size, error) {
	w := c.walker()
	for _, a := range args {
		if err := w.walk(reflect.ValueOf(a), 0); err != nil {
			return Size{}, err
		}
	}
	return w.size(), nil
}

// Sizes is Check, measuring each argument on its own: the limits hold for
// all of them together.
func (c Walk) Sizes(args ...any) ([]Size, error) {
	w := c.walker()
	sizes := make([]Size, len(args))
	for i, a := range args {
		before := w.size()
		if err := w.walk(reflect.ValueOf(a), 0); err != nil {
			return nil, err
		}
		sizes[i] = w.size().minus(before)
	}
	return sizes, nil
}

func (c Walk) walker() *walker {
	w := &walker{path: map[node]bool{}, budget: MaxNodes, bytes: MaxBytes, follow: c.FollowPointers, maxDepth: c.MaxDepth}
	if w.maxDepth <= 0 {
		w.maxDepth = MaxDepth
	}
	if c.Verbose {
		w.names = map[reflect.Type]int{}
	}
	return w
}

func (w *walker) size() Size {
	return Size{Nodes: MaxNodes - w.budget, Bytes: MaxBytes - w.bytes, Depths: w.depths,
		Strings: w.strings, ByteElems: w.byteElems, Floats: w.floats, Names: w.nameBytes}
}

type walker struct {
	path      map[node]bool // containers on the current path
	budget    int           // values left to visit
	bytes     int           // bytes of strings left
	depths    int           // sum of the visited values' depths
	follow    bool          // Walk.FollowPointers
	maxDepth  int
	strings   int                  // Size.Strings
	byteElems int                  // Size.ByteElems
	floats    int                  // Size.Floats
	names     map[reflect.Type]int // with Walk.Verbose: the names each type prints
	nameBytes int                  // Size.Names
	pointee   bool                 // with Walk.Verbose: walking a nested pointer's target
	lastType  reflect.Type         // the last type hasMethods saw (a slice's are all the same)
	lastHas   bool
}

var reflectValue = reflect.TypeOf(reflect.Value{})

func (w *walker) walk(v reflect.Value, depth int) error {
	if !v.IsValid() {
		return nil
	}
	// fmt prints a reflect.Value as the value it holds (yaegi hands script
	// values around that way, panic values among them).
	for v.Type() == reflectValue && v.CanInterface() {
		v = v.Interface().(reflect.Value)
		if !v.IsValid() {
			return nil
		}
	}
	if depth > w.maxDepth {
		return ErrDeep
	}
	if w.budget--; w.budget < 0 {
		return ErrLarge
	}
	w.depths += depth
	if w.names != nil {
		w.countNames(v.Type())
	}
	if !w.follow && v.Kind() == reflect.Pointer && !v.IsNil() && v.CanInterface() {
		// fmt prints an error by its Error method, at any depth; but %#v
		// prints its fields.
		if e, ok := v.Interface().(error); ok {
			n, err := ErrorSize(e)
			if err != nil {
				return err
			}
			w.strings += n
			if w.bytes -= n; w.bytes < 0 {
				return ErrLarge
			}
			if w.names == nil {
				return nil
			}
		}
	}
	// fmt prints a Stringer by its String method, at any depth: a slice
	// of a thousand pointers to one large bytes.Buffer prints it a
	// thousand times. Walk's caller only has native types' methods: yaegi
	// gives a script's types none that fmt can see.
	if !w.follow && v.Kind() > reflect.Complex128 && v.Kind() != reflect.String && v.Kind() != reflect.Interface &&
		v.CanInterface() && w.hasMethods(v.Type()) {
		n := stringerSize(v, w.names != nil)
		w.strings += n
		if w.bytes -= n; w.bytes < 0 {
			return ErrLarge
		}
		if w.names == nil {
			return nil
		}
	}
	switch v.Kind() {
	case reflect.String:
		w.strings += v.Len()
		if w.bytes -= v.Len(); w.bytes < 0 {
			return ErrLarge
		}
	case reflect.Float32, reflect.Float64:
		w.floats++
	case reflect.Complex64, reflect.Complex128:
		w.floats += 2
	case reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return w.walk(v.Elem(), depth+1)
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		if !w.follow {
			if depth > 0 && (w.names == nil || w.pointee) {
				return nil // fmt prints nested pointers as addresses
			}
			if depth > 0 {
				// But a verb that does not suit a nested pointer
				// prints what it points to ("%!d(*T=&{…})"), one
				// level down.
				w.pointee = true
				defer func() { w.pointee = false }()
			}
			return w.walk(v.Elem(), depth+1)
		}
		return w.container(v, depth, func() error { return w.walk(v.Elem(), depth+1) })
	case reflect.Map:
		return w.container(v, depth, func() error {
			it := v.MapRange()
			for it.Next() {
				if err := w.walk(it.Key(), depth+1); err != nil {
					return err
				}
				if err := w.walk(it.Value(), depth+1); err != nil {
					return err
				}
			}
			return nil
		})
	case reflect.Slice:
		return w.container(v, depth, func() error { return w.elems(v, depth) })
	case reflect.Array:
		return w.elems(v, depth)
	case reflect.Struct:
		for i := range v.NumField() {
			if err := w.walk(v.Field(i), depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *walker) elems(v reflect.Value, depth int) error {
	switch k := v.Type().Elem().Kind(); {
	case k == reflect.Uint8:
		// Bytes: printed as numbers (fmt) or base64 (json), a few
		// bytes each.
		w.byteElems += v.Len()
		w.flatNames(v)
		if w.bytes -= 4 * v.Len(); w.bytes < 0 {
			return ErrLarge
		}
		return nil
	case k <= reflect.Complex128:
		// Flat values: count them, no need to visit.
		w.depths += (depth + 1) * v.Len()
		w.flatNames(v)
		switch k {
		case reflect.Float32, reflect.Float64:
			w.floats += v.Len()
		case reflect.Complex64, reflect.Complex128:
			w.floats += 2 * v.Len()
		}
		if w.budget -= v.Len(); w.budget < 0 {
			return ErrLarge
		}
		return nil
	case k == reflect.String:
		w.depths += (depth + 1) * v.Len()
		w.flatNames(v)
		if w.budget -= v.Len(); w.budget < 0 {
			return ErrLarge
		}
		for i := range v.Len() {
			w.strings += v.Index(i).Len()
			if w.bytes -= v.Index(i).Len(); w.bytes < 0 {
				return ErrLarge
			}
		}
		return nil
	}
	for i := range v.Len() {
		if err := w.walk(v.Index(i), depth+1); err != nil {
			return err
		}
	}
	return nil
}

// container walks a map, slice or pointer, detecting a cycle back to it.
func (w *walker) container(v reflect.Value, depth int, each func() error) error {
	if v.IsNil() {
		return nil
	}
	n := node{kind: v.Kind(), ptr: v.Pointer()}
	if n.kind != reflect.Pointer {
		n.len = v.Len()
	}
	if w.path[n] {
		return ErrCycle
	}
	w.path[n] = true
	defer delete(w.path, n)
	return each()
}

// Describe formats a panic value of script code without letting it take the
// process down: strings and the runtime's own errors as they are; anything
// else only if Check accepts it, and under a recover, since formatting it
// may call a method of the script (an Error or String reached through an
// error wrapper) that panics again. The caller bounds the time that takes.
func Describe(r any) (s string) {
	if v, ok := r.(reflect.Value); ok && v.IsValid() && v.CanInterface() {
		r = v.Interface() // how yaegi hands over a script's panic value
	}
	switch x := r.(type) {
	case string:
		return clip(x)
	case runtime.Error:
		if reflect.TypeOf(x).PkgPath() == "runtime" {
			return x.Error()
		}
	}
	defer func() {
		if recover() != nil {
			s = fmt.Sprintf("a %T whose Error or String method panicked", r)
		}
	}()
	if Check(r) != nil { // which calls those methods too
		return fmt.Sprintf("a %T that cannot be printed", r)
	}
	return clip(fmt.Sprint(r))
}

func clip(s string) string {
	if len(s) > 1024 {
		return s[:1024] + "…"
	}
	return s
}
