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
}

// Size is what a Walk measured: the values visited, the bytes of their
// strings and byte slices, and the sum of the values' nesting depths (what
// indenting them costs, in indents).
type Size struct{ Nodes, Bytes, Depths int }

// Check is Check with the Walk's settings, and the size of the arguments.
func (c Walk) Check(args ...any) (Size, error) {
	w := walker{path: map[node]bool{}, budget: MaxNodes, bytes: MaxBytes, follow: c.FollowPointers, maxDepth: c.MaxDepth}
	if w.maxDepth <= 0 {
		w.maxDepth = MaxDepth
	}
	for _, a := range args {
		if err := w.walk(reflect.ValueOf(a), 0); err != nil {
			return Size{}, err
		}
	}
	return Size{Nodes: MaxNodes - w.budget, Bytes: MaxBytes - w.bytes, Depths: w.depths}, nil
}

type walker struct {
	path     map[node]bool // containers on the current path
	budget   int           // values left to visit
	bytes    int           // bytes of strings left
	depths   int           // sum of the visited values' depths
	follow   bool          // Walk.FollowPointers
	maxDepth int
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
	if !w.follow && v.Kind() == reflect.Pointer && !v.IsNil() && v.CanInterface() {
		// fmt prints an error by its Error method, at any depth.
		if e, ok := v.Interface().(error); ok {
			n, err := ErrorSize(e)
			if err != nil {
				return err
			}
			if w.bytes -= n; w.bytes < 0 {
				return ErrLarge
			}
			return nil
		}
	}
	switch v.Kind() {
	case reflect.String:
		if w.bytes -= v.Len(); w.bytes < 0 {
			return ErrLarge
		}
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
			if depth > 0 {
				return nil // fmt prints nested pointers as addresses
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
		if w.bytes -= 4 * v.Len(); w.bytes < 0 {
			return ErrLarge
		}
		return nil
	case k <= reflect.Complex128:
		// Flat values: count them, no need to visit.
		w.depths += (depth + 1) * v.Len()
		if w.budget -= v.Len(); w.budget < 0 {
			return ErrLarge
		}
		return nil
	case k == reflect.String:
		w.depths += (depth + 1) * v.Len()
		if w.budget -= v.Len(); w.budget < 0 {
			return ErrLarge
		}
		for i := range v.Len() {
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
	if Check(r) != nil {
		return fmt.Sprintf("a %T that cannot be printed", r)
	}
	defer func() {
		if recover() != nil {
			s = fmt.Sprintf("a %T whose Error or String method panicked", r)
		}
	}()
	return clip(fmt.Sprint(r))
}

func clip(s string) string {
	if len(s) > 1024 {
		return s[:1024] + "…"
	}
	return s
}
