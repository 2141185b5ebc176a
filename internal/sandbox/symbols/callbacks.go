package symbols

import (
	"reflect"

	"github.com/jstrace-go/jstrace/internal/sandbox/halt"
)

// Functions of the tables that take a function argument (sort.Slice's
// less, sort.Search's f, strings.Map's mapping) call back into the script:
// checked wraps them so that each callback first calls halt.Check, and a
// native loop over a killed script's callbacks unwinds at once instead of
// running to its end with callbacks that return zero values. (Methods of
// native types that take a function, regexp's ReplaceAllFunc, ring's Do,
// cannot be wrapped: yaegi calls them through reflect. Their loops are
// bounded by their input.)

// checked returns fn wrapped so that each of its function arguments calls
// halt.Check before running, and whether fn takes any (else it is returned
// as is).
func checked(fn reflect.Value) (reflect.Value, bool) {
	if fn.Kind() != reflect.Func || fn.IsNil() {
		return fn, false
	}
	t := fn.Type()
	var idx []int
	for i := range t.NumIn() {
		if t.In(i).Kind() == reflect.Func {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return fn, false
	}
	return reflect.MakeFunc(t, func(in []reflect.Value) []reflect.Value {
		for _, i := range idx {
			if !in[i].IsNil() {
				in[i] = checkedCallback(in[i])
			}
		}
		if t.IsVariadic() {
			return fn.CallSlice(in)
		}
		return fn.Call(in)
	}), true
}

func checkedCallback(f reflect.Value) reflect.Value {
	return reflect.MakeFunc(f.Type(), func(in []reflect.Value) []reflect.Value {
		halt.Check()
		if f.Type().IsVariadic() {
			return f.CallSlice(in)
		}
		return f.Call(in)
	})
}

// Callbacks lists "importpath/name.Func" for every function of the tables
// that Table wraps as above, for tests.
func Callbacks() []string {
	var out []string
	for k, syms := range Symbols {
		for name, v := range syms {
			if _, ok := checked(v); ok {
				out = append(out, k+"."+name)
			}
		}
	}
	return out
}
