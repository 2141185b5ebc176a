package symbols

import (
	"reflect"
	"sort"
)

// A methodSet is a defined type's exported methods, sorted by name as
// reflect sorts them; a name with a leading '*' has a pointer receiver
// (it is in the pointer's set only).
type methodSet struct {
	pkg, name string
	methods   []string
}

// Methods returns the exported methods of t and of *t, sorted by name, a
// pointer receiver's marked by a leading '*' (see MethodName), for the
// defined types that the tables reach; ok is false for others. It lets a
// caller list a type's methods without reflect.Type.Method, which makes
// each method's signature, receiver first, with reflect.FuncOf, and reflect
// keeps every such type for the life of the process; a method's signature
// without its receiver is in the binary (reflect.Value.Method(i).Type()).
// Callers must check the counts against reflect's (NumMethod), as a type
// of another package may share a path and name only in a build with a
// different version of it.
func Methods(t reflect.Type) (methods []string, ok bool) {
	pkg, name := t.PkgPath(), t.Name()
	if pkg == "" || name == "" {
		return nil, false
	}
	i := sort.Search(len(methodSets), func(i int) bool {
		s := &methodSets[i]
		return s.pkg > pkg || s.pkg == pkg && s.name >= name
	})
	if i == len(methodSets) || methodSets[i].pkg != pkg || methodSets[i].name != name {
		return nil, false
	}
	return methodSets[i].methods, true
}

// MethodName reads an entry of Methods: the method's name, and whether it
// has a pointer receiver.
func MethodName(s string) (name string, pointer bool) {
	if len(s) > 0 && s[0] == '*' {
		return s[1:], true
	}
	return s, false
}

// MethodCounts returns how many of Methods' entries are in the value's
// method set (no leading '*'), and how many in the pointer's (all).
func MethodCounts(methods []string) (value, pointer int) {
	for _, s := range methods {
		if _, p := MethodName(s); !p {
			value++
		}
	}
	return value, len(methods)
}
