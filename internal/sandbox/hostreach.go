package sandbox

import (
	"go/types"
	"reflect"
)

// A script reaches a defined type's methods only through something it can
// name: an exported object, an exported or embedded field, a signature.
// Types that the universe converts only because an unexported field holds
// them (sync.Mutex, atomic.Int64, the script package's own bookkeeping)
// need their fields, for the sizes and layouts the checker computes, but
// not their methods, which the checker would never look up: it reads a
// type's methods when a script selects one, or asks whether the type
// implements an interface, and both need a value the script cannot get.
//
// Leaving those methods out spares the checker their conversion (41 of
// the 149 methods a script importing time, strconv and script had
// converted), and for a type the generated tables lack (symbols.Methods)
// a reflect.FuncOf a method, which reflect keeps for the life of the
// process: some five objects each that every collection of the service
// marks afterwards.
//
// The rule is applied as types are converted: while an unexported field's
// type is converted (hiding > 0), every defined type first met is hidden,
// its methods left out. A hidden type met later through something a
// script can reach is revealed (reveal): its methods are added, and what
// it exposes is revealed in turn. No checker can have looked at its
// methods before, for none could reach them: so the objects checkers
// share change only where no checker looks.

// fieldType converts a struct field's type: hidden if the field is
// unexported and not embedded (an embedded field's methods and fields are
// promoted, so a script reaches them). u.mu is held.
func (u *universe) fieldType(f reflect.StructField) types.Type {
	if f.PkgPath == "" || f.Anonymous {
		return u.typ(f.Type)
	}
	u.hiding++
	defer func() { u.hiding-- }()
	return u.typ(f.Type)
}

// hide records n, the conversion of t met while hiding, without methods.
func (u *universe) hide(t reflect.Type, n *types.Named) {
	if u.hidden == nil {
		u.hidden = map[reflect.Type]*types.Named{}
	}
	u.hidden[t] = n
}

// reveal adds the methods of the hidden types that t, just reached by
// something a script can reach, exposes: t itself, and what its exported
// structure reaches. A type not hidden exposes nothing hidden (it was
// converted, or revealed, with its structure), so the walk stops there.
// u.mu is held, and u.hiding is 0.
func (u *universe) reveal(t reflect.Type) {
	if t.Name() != "" && t.PkgPath() != "" {
		n, ok := u.hidden[t]
		if !ok {
			return
		}
		delete(u.hidden, t)
		u.methods(t, n) // converts their signatures' types, revealing them
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Chan:
		u.reveal(t.Elem())
	case reflect.Map:
		u.reveal(t.Key())
		u.reveal(t.Elem())
	case reflect.Func:
		for i := range t.NumIn() {
			u.reveal(t.In(i))
		}
		for i := range t.NumOut() {
			u.reveal(t.Out(i))
		}
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.PkgPath == "" || f.Anonymous {
				u.reveal(f.Type)
			}
		}
	case reflect.Interface:
		for i := range t.NumMethod() {
			u.reveal(t.Method(i).Type) // an interface's Method makes no type
		}
	}
}
