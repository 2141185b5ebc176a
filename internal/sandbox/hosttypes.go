package sandbox

import (
	"go/constant"
	"go/token"
	"go/types"
	"reflect"
	"strings"
	"sync"

	"github.com/jstrace-go/jstrace/internal/sandbox/symbols"
)

// A universe describes the Go types of the process to go/types: the
// allowlist's packages (the interpreter's symbol tables are reflect values,
// from which the checker builds types.Package objects with real signatures,
// methods and field layouts), the packages their types come from, and the
// packages an agent opts in. Each hostCache has one, built on demand;
// every method may be called from any goroutine. The objects it hands out
// are complete as far as a script can reach them, and what a script can
// reach never changes afterwards, so checkers share them (see hidden).
type universe struct {
	mu     sync.Mutex
	pkgs   map[string]*types.Package // by import path, allowlisted or not
	types  map[reflect.Type]types.Type
	filled map[string]bool // packages whose scope holds a symbol table's names

	// hiding counts the conversions under way of what a script can reach
	// only through unexported fields; hidden holds the defined types so
	// reached, whose methods are left out until they are reached
	// otherwise (see reveal).
	hiding int
	hidden map[reflect.Type]*types.Named
}

// newUniverse returns an empty universe.
func newUniverse() *universe {
	return &universe{pkgs: map[string]*types.Package{}, types: map[reflect.Type]types.Type{}, filled: map[string]bool{}}
}

// importable returns the package at path with the names of syms in its
// scope: functions, variables, constants (a typed constant of a basic type
// is a constant, as the interpreter treats it) and types. Names yaegi adds
// for its own use (_Interface wrappers) are left out. The allowlist's
// packages are made once per cache; call it with the same syms for the
// same path.
func (u *universe) importable(path string, syms map[string]reflect.Value) *types.Package {
	u.mu.Lock()
	defer u.mu.Unlock()
	pkg := u.pkg(path)
	if u.filled[path] {
		return pkg
	}
	u.fill(pkg, syms)
	u.filled[path] = true
	return pkg
}

// fresh returns a new package at path with the names of syms, for an
// agent's opted-in package: two agents in one process may opt different
// symbols in under one path. Its types are the universe's.
func (u *universe) fresh(path string, syms map[string]reflect.Value) *types.Package {
	u.mu.Lock()
	defer u.mu.Unlock()
	pkg := u.pkg(path)
	p := types.NewPackage(path, pkg.Name())
	u.fill(p, syms)
	return p
}

// fill declares syms in pkg's scope; u.mu is held.
func (u *universe) fill(pkg *types.Package, syms map[string]reflect.Value) {
	for name, v := range syms {
		if strings.HasPrefix(name, "_") || !v.IsValid() || pkg.Scope().Lookup(name) != nil {
			continue
		}
		if obj := u.object(pkg, name, v); obj != nil {
			pkg.Scope().Insert(obj)
		}
	}
	pkg.MarkComplete()
}

func (u *universe) object(pkg *types.Package, name string, v reflect.Value) types.Object {
	if c, ok := untypedConst(v); ok {
		return types.NewConst(token.NoPos, pkg, name, types.Typ[untypedKind(c)], c)
	}
	t := v.Type()
	switch {
	case t.Kind() == reflect.Pointer && v.IsNil():
		// (*T)(nil) declares type T; under another name, an alias.
		elem := u.typ(t.Elem())
		if n, ok := elem.(*types.Named); ok && n.Obj().Name() == name && n.Obj().Pkg().Path() == pkg.Path() {
			return n.Obj()
		}
		return types.NewTypeName(token.NoPos, pkg, name, elem)
	case t.Kind() == reflect.Func:
		if sig, ok := u.typ(t).(*types.Signature); ok {
			return types.NewFunc(token.NoPos, pkg, name, sig)
		} // a value of a defined func type: a variable
	}
	if c := constValue(v); c != nil {
		return types.NewConst(token.NoPos, pkg, name, u.typ(t), c)
	}
	return types.NewVar(token.NoPos, pkg, name, u.typ(t))
}

func untypedKind(c constant.Value) types.BasicKind {
	switch c.Kind() {
	case constant.Bool:
		return types.UntypedBool
	case constant.String:
		return types.UntypedString
	case constant.Float:
		return types.UntypedFloat
	case constant.Complex:
		return types.UntypedComplex
	}
	return types.UntypedInt
}

// untypedConst returns the value of an untyped constant symbol, which yaegi
// tables hold as a constant.Value: a value of one of go/constant's types,
// or a pointer to one (strings are *constant.stringVal).
func untypedConst(v reflect.Value) (constant.Value, bool) {
	t := v.Type()
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v.Kind() != reflect.Interface && t.PkgPath() == "go/constant" && v.CanInterface() {
		c, ok := v.Interface().(constant.Value)
		return c, ok
	}
	return nil, false
}

// symbolConst returns the value of a constant symbol, typed or not, nil for
// others.
func symbolConst(v reflect.Value) constant.Value {
	if c, ok := untypedConst(v); ok {
		return c
	}
	return constValue(v)
}

// constValue returns the value of a basic-typed symbol, nil for others.
func constValue(v reflect.Value) constant.Value {
	switch v.Kind() {
	case reflect.Bool:
		return constant.MakeBool(v.Bool())
	case reflect.String:
		return constant.MakeString(v.String())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return constant.MakeInt64(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return constant.MakeUint64(v.Uint())
	case reflect.Float32, reflect.Float64:
		return constant.MakeFloat64(v.Float())
	}
	return nil
}

// pkg returns the package at path, made empty if new. u.mu is held.
func (u *universe) pkg(path string) *types.Package {
	if p, ok := u.pkgs[path]; ok {
		return p
	}
	name := path[strings.LastIndexByte(path, '/')+1:]
	if rest, ok := strings.CutSuffix(path, "/"+name); ok && len(name) > 1 && name[0] == 'v' && strings.Trim(name[1:], "0123456789") == "" {
		name = rest[strings.LastIndexByte(rest, '/')+1:] // math/rand/v2
	}
	p := types.NewPackage(path, name)
	u.pkgs[path] = p
	return p
}

var basicKinds = map[reflect.Kind]types.BasicKind{
	reflect.Bool: types.Bool, reflect.Int: types.Int, reflect.Int8: types.Int8, reflect.Int16: types.Int16,
	reflect.Int32: types.Int32, reflect.Int64: types.Int64, reflect.Uint: types.Uint, reflect.Uint8: types.Uint8,
	reflect.Uint16: types.Uint16, reflect.Uint32: types.Uint32, reflect.Uint64: types.Uint64,
	reflect.Uintptr: types.Uintptr, reflect.Float32: types.Float32, reflect.Float64: types.Float64,
	reflect.Complex64: types.Complex64, reflect.Complex128: types.Complex128, reflect.String: types.String,
	reflect.UnsafePointer: types.UnsafePointer,
}

// typ converts a reflect type. u.mu is held.
func (u *universe) typ(t reflect.Type) types.Type {
	if tt, ok := u.types[t]; ok {
		if u.hiding == 0 && len(u.hidden) > 0 {
			u.reveal(t)
		}
		return tt
	}
	if t.Name() != "" && t.PkgPath() != "" {
		return u.named(t)
	}
	if t.Name() == "error" && t.PkgPath() == "" {
		return types.Universe.Lookup("error").Type()
	}
	tt := u.literal(t, nil)
	u.types[t] = tt
	return tt
}

// named converts a defined type: its type name, its underlying type, its
// methods (value and pointer receivers).
func (u *universe) named(t reflect.Type) types.Type {
	pkg := u.pkg(t.PkgPath())
	obj := types.NewTypeName(token.NoPos, pkg, t.Name(), nil)
	n := types.NewNamed(obj, nil, nil)
	u.types[t] = n
	n.SetUnderlying(u.literal(t, pkg))
	if u.hiding > 0 {
		u.hide(t, n)
	} else {
		u.methods(t, n)
	}
	return n
}

// methods adds t's methods, with value and pointer receivers, to n.
func (u *universe) methods(t reflect.Type, n *types.Named) {
	if t.Kind() == reflect.Interface {
		return
	}
	pkg := n.Obj().Pkg()
	pt := reflect.PointerTo(t)
	if names, ok := symbols.Methods(t); ok && u.namedMethods(t, pt, n, names) {
		return
	}
	// A type the tables do not reach: reflect.Type's Method makes each
	// signature, receiver first, with reflect.FuncOf (see symbols.Methods).
	seen := map[string]bool{}
	for i := range t.NumMethod() {
		m := t.Method(i)
		seen[m.Name] = true
		n.AddMethod(u.method(pkg, n, m.Name, dropReceiver{m.Type}))
	}
	// The pointer's method set holds the value's: look at it only if it
	// has more.
	if pt.NumMethod() == t.NumMethod() {
		return
	}
	for i := range pt.NumMethod() {
		if m := pt.Method(i); !seen[m.Name] {
			n.AddMethod(u.method(pkg, types.NewPointer(n), m.Name, dropReceiver{m.Type}))
		}
	}
}

// namedMethods adds t's methods listed by symbols.Methods to n, each
// signature read from a method value's type, which the binary holds (no
// reflect.FuncOf), and reports whether the list matched reflect's counts.
func (u *universe) namedMethods(t, pt reflect.Type, n *types.Named, names []string) bool {
	if value, all := symbols.MethodCounts(names); value != t.NumMethod() || all != pt.NumMethod() {
		return false
	}
	pkg := n.Obj().Pkg()
	v, pv := reflect.Zero(t), reflect.Zero(pt) // nil pointer: Method only reads its type
	var ptr types.Type
	vi := 0
	for i, s := range names {
		name, pointer := symbols.MethodName(s)
		if !pointer {
			n.AddMethod(u.method(pkg, n, name, v.Method(vi).Type()))
			vi++
			continue
		}
		if ptr == nil {
			ptr = types.NewPointer(n)
		}
		n.AddMethod(u.method(pkg, ptr, name, pv.Method(i).Type()))
	}
	return true
}

// A signature is a method's signature without its receiver.
type signature interface {
	NumIn() int
	In(int) reflect.Type
	NumOut() int
	Out(int) reflect.Type
	IsVariadic() bool
}

// dropReceiver is a reflect.Method's Type, receiver first, as a signature.
type dropReceiver struct{ reflect.Type }

func (d dropReceiver) NumIn() int            { return d.Type.NumIn() - 1 }
func (d dropReceiver) In(i int) reflect.Type { return d.Type.In(i + 1) }

func (u *universe) method(pkg *types.Package, recv types.Type, name string, ft signature) *types.Func {
	params := make([]*types.Var, ft.NumIn())
	for i := range params {
		params[i] = types.NewParam(token.NoPos, pkg, "", u.typ(ft.In(i)))
	}
	sig := types.NewSignatureType(types.NewVar(token.NoPos, pkg, "", recv), nil, nil,
		types.NewTuple(params...), u.results(ft), ft.IsVariadic())
	return types.NewFunc(token.NoPos, pkg, name, sig)
}

func (u *universe) results(ft signature) *types.Tuple {
	res := make([]*types.Var, ft.NumOut())
	for i := range res {
		res[i] = types.NewParam(token.NoPos, nil, "", u.typ(ft.Out(i)))
	}
	return types.NewTuple(res...)
}

// literal converts t's structure (the underlying type of a defined type).
// pkg is the package of the defined type, if any.
func (u *universe) literal(t reflect.Type, pkg *types.Package) types.Type {
	switch t.Kind() {
	case reflect.Pointer:
		return types.NewPointer(u.typ(t.Elem()))
	case reflect.Slice:
		return types.NewSlice(u.typ(t.Elem()))
	case reflect.Array:
		return types.NewArray(u.typ(t.Elem()), int64(t.Len()))
	case reflect.Map:
		return types.NewMap(u.typ(t.Key()), u.typ(t.Elem()))
	case reflect.Chan:
		dir := types.SendRecv
		switch t.ChanDir() {
		case reflect.SendDir:
			dir = types.SendOnly
		case reflect.RecvDir:
			dir = types.RecvOnly
		}
		return types.NewChan(dir, u.typ(t.Elem()))
	case reflect.Func:
		params := make([]*types.Var, t.NumIn())
		for i := range params {
			params[i] = types.NewParam(token.NoPos, pkg, "", u.typ(t.In(i)))
		}
		return types.NewSignatureType(nil, nil, nil, types.NewTuple(params...), u.results(t), t.IsVariadic())
	case reflect.Struct:
		fields := make([]*types.Var, t.NumField())
		for i := range fields {
			f := t.Field(i)
			fpkg := pkg
			if f.PkgPath != "" {
				fpkg = u.pkg(f.PkgPath)
			}
			fields[i] = types.NewField(token.NoPos, fpkg, f.Name, u.fieldType(f), f.Anonymous)
		}
		return types.NewStruct(fields, nil)
	case reflect.Interface:
		methods := make([]*types.Func, t.NumMethod())
		for i := range methods {
			m := t.Method(i)
			mpkg := pkg
			if m.PkgPath != "" {
				mpkg = u.pkg(m.PkgPath)
			}
			sig := u.typ(m.Type).(*types.Signature)
			methods[i] = types.NewFunc(token.NoPos, mpkg, m.Name, types.NewSignatureType(nil, nil, nil, sig.Params(), sig.Results(), sig.Variadic()))
		}
		return types.NewInterfaceType(methods, nil).Complete()
	}
	if k, ok := basicKinds[t.Kind()]; ok {
		return types.Typ[k]
	}
	return types.Typ[types.Invalid]
}
