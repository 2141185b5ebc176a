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

// Limits of what Check accepts: nesting as fmt follows it, and the number
// of values visited.
const (
	MaxDepth = 64
	MaxNodes = 1 << 20
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
// interface that contains itself, at most MaxDepth levels and MaxNodes
// values. Like fmt, it follows pointers only at the top level.
func Check(args ...any) error {
	w := walker{path: map[node]bool{}, budget: MaxNodes}
	for _, a := range args {
		if err := w.walk(reflect.ValueOf(a), 0); err != nil {
			return err
		}
	}
	return nil
}

type walker struct {
	path   map[node]bool // containers on the current path
	budget int
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
	if depth > MaxDepth {
		return ErrDeep
	}
	if w.budget--; w.budget < 0 {
		return ErrLarge
	}
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return w.walk(v.Elem(), depth+1)
	case reflect.Pointer:
		if depth > 0 || v.IsNil() {
			return nil // fmt prints nested pointers as addresses
		}
		return w.walk(v.Elem(), depth+1)
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
	if k := v.Type().Elem().Kind(); k <= reflect.Complex128 || k == reflect.String {
		w.budget -= v.Len() // flat values: count them, no need to visit
		if w.budget < 0 {
			return ErrLarge
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

// container walks a map or slice, detecting a cycle back to it.
func (w *walker) container(v reflect.Value, depth int, each func() error) error {
	if v.IsNil() {
		return nil
	}
	n := node{v.Kind(), v.Pointer(), v.Len()}
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
