package sandbox

import (
	"go/types"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/jstrace-go/jstrace/internal/sandbox/symbols"
)

// The universe converts the methods of every type the allowlist reaches
// from the generated names (symbols.Methods), never through
// reflect.Type.Method, whose reflect.FuncOf each reflect keeps for the
// life of the process; and they are the methods reflect lists, with the
// same signatures and receivers.
func TestHostMethodsFromTables(t *testing.T) {
	u := newUniverse()
	for key := range symbols.Symbols {
		u.importable(key[:strings.LastIndexByte(key, '/')], symbols.Table(key))
	}
	u.importable(ScriptPackage, scriptSymbols)
	u.mu.Lock()
	defer u.mu.Unlock()
	n := 0
	for rt, tt := range u.types {
		named, ok := tt.(*types.Named)
		_, hidden := u.hidden[rt]
		if !ok || hidden || rt.Kind() == reflect.Interface || reflect.PointerTo(rt).NumMethod() == 0 {
			continue
		}
		names, ok := symbols.Methods(rt)
		if !ok {
			t.Errorf("%v: not in symbols.Methods (run go generate in internal/sandbox/symbols)", rt)
			continue
		}
		if value, all := symbols.MethodCounts(names); value != rt.NumMethod() || all != reflect.PointerTo(rt).NumMethod() {
			t.Errorf("%v: symbols.Methods lists %d and %d methods, reflect %d and %d: the universe took reflect's way", rt, value, all, rt.NumMethod(), reflect.PointerTo(rt).NumMethod())
		}
		want := reflectMethods(u, rt, named)
		var got []string
		for i := range named.NumMethods() {
			got = append(got, methodString(named.Method(i)))
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%v:\n got  %q\n want %q", rt, got, want)
		}
		n++
	}
	if n < 30 {
		t.Fatalf("only %d types with methods", n)
	}
}

// reflectMethods converts rt's methods the way that needs no table,
// through reflect.Type.Method. u.mu is held.
func reflectMethods(u *universe, rt reflect.Type, n *types.Named) []string {
	var out []string
	seen := map[string]bool{}
	for i := range rt.NumMethod() {
		m := rt.Method(i)
		seen[m.Name] = true
		out = append(out, methodString(u.method(n.Obj().Pkg(), n, m.Name, dropReceiver{m.Type})))
	}
	pt := reflect.PointerTo(rt)
	for i := range pt.NumMethod() {
		if m := pt.Method(i); !seen[m.Name] {
			out = append(out, methodString(u.method(n.Obj().Pkg(), types.NewPointer(n), m.Name, dropReceiver{m.Type})))
		}
	}
	slices.Sort(out)
	return out
}

// methodString writes a method with its receiver's type and its signature.
func methodString(f *types.Func) string {
	sig := f.Type().(*types.Signature)
	return f.Name() + " (" + sig.Recv().Type().String() + ") " + types.NewSignatureType(nil, nil, nil, sig.Params(), sig.Results(), sig.Variadic()).String()
}

// A type whose count of methods differs from the generated names' (another
// version of a package, with the same path and type name) is converted
// through reflect.Type.Method, as one the tables do not reach.
func TestHostMethodsCountsChecked(t *testing.T) {
	u := newUniverse()
	u.mu.Lock()
	defer u.mu.Unlock()
	rt := reflect.TypeFor[Shown]()
	n := u.typ(rt).(*types.Named)
	if u.namedMethods(rt, reflect.PointerTo(rt), n, []string{"ShownMethod", "*Other"}) {
		t.Error("a list with a method reflect does not have was taken")
	}
	if got := methodsOf(u, rt); !slices.Equal(got, []string{"ShownMethod"}) {
		t.Errorf("methods %v", got)
	}
}
