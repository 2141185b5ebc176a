package sandbox

import (
	"go/ast"
	"go/types"
	"reflect"
	"time"
	"unsafe"
)

// A key is an evaluated index: of an array, a slice or a map with int keys
// (i), or of a map with string keys (s).
type key struct {
	i int64
	s string
}

// A place is what an assignment may write: a variable, or an element of a
// shared array, slice or map. index evaluates the element's index (nil for
// a variable); the functions of its kind read and write the place at that
// index.
type place struct {
	k     kind
	t     types.Type
	index func() key
	li    func(key) int64
	si    func(key, int64)
	lf    func(key) float64
	sf    func(key, float64)
	ls    func(key) string
	ss    func(key, string)
	lb    func(key) bool
	sb    func(key, bool)
	lo    expr                // the other kinds: a variable's value
	so    func(x expr) func() // and the store of x into it
	vi    *int64              // a variable's memory, kInt (varPlace): op= works on it in place
	vf    *float64            // likewise, kFloat
}

// read returns the place's value as an expression.
func (p place) read() expr {
	x := expr{k: p.k, t: p.t}
	ix := p.index
	if ix == nil {
		ix = func() key { return key{} }
	}
	switch p.k {
	case kInt:
		l := p.li
		x.i = func() int64 { return l(ix()) }
	case kFloat:
		l := p.lf
		x.f = func() float64 { return l(ix()) }
	case kStr:
		l := p.ls
		x.s = func() string { return l(ix()) }
	case kBool:
		l := p.lb
		x.b = func() bool { return l(ix()) }
	default:
		return p.lo
	}
	return x
}

// varPlace is the place of a scalar variable.
func varPlace(cl *cell) place {
	p := place{k: cl.k, t: cl.typ}
	switch cl.k {
	case kInt:
		v := (*int64)(cl.p)
		p.li, p.si, p.vi = func(key) int64 { return *v }, func(_ key, x int64) { *v = x }, v
	case kFloat:
		v := (*float64)(cl.p)
		p.lf, p.sf, p.vf = func(key) float64 { return *v }, func(_ key, x float64) { *v = x }, v
	case kStr:
		v := (*string)(cl.p)
		p.ls, p.ss = func(key) string { return *v }, func(_ key, x string) { *v = x }
	case kBool:
		v := (*bool)(cl.p)
		p.lb, p.sb = func(key) bool { return *v }, func(_ key, x bool) { *v = x }
	default:
		p.lo = load(cl)
		p.so = func(x expr) func() { return storeOther(cl, x) }
	}
	return p
}

// storeOther returns the store of x into a variable of the kinds without
// arithmetic.
func storeOther(cl *cell, x expr) func() {
	if ops := others[cl.k]; ops != nil && x.k == cl.k {
		if f := ops.get(x); f != nil {
			return ops.store(cl.p, f)
		}
	}
	return nil
}

// place compiles an assignment's left-hand side.
//
// A script function the handler calls may set only its own variables:
// compiled code reads a variable where it stands in an expression, and
// both gc and the interpreter read it after the calls beside it (g +
// inc(), m[g] = set(…)); with no function setting a variable the handler
// reads, the order cannot show. Only script functions can: natives get
// no pointer to a script variable.
func (c *compiler) place(e ast.Expr) (place, error) {
	if c.fn.nested {
		root := ast.Unparen(e)
		if ix, ok := root.(*ast.IndexExpr); ok {
			root = ast.Unparen(ix.X)
		}
		if id, ok := root.(*ast.Ident); ok {
			if v, ok := c.info.Uses[id].(*types.Var); ok && v.Pkg() != nil && v.Parent() == v.Pkg().Scope() {
				return place{}, c.fail(e, "a script function sets the package variable %s", id.Name)
			}
		}
	}
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		cl, err := c.scalar(e)
		if err != nil {
			return place{}, err
		}
		return varPlace(cl), nil
	case *ast.IndexExpr:
		return c.index(e)
	}
	return place{}, c.fail(e, "an assignment to a %T", e)
}

// scalar returns the cell of the variable id names (used, or redeclared
// by a :=), which must hold a scalar: containers are used by element only.
func (c *compiler) scalar(id *ast.Ident) (*cell, error) {
	v, ok := c.info.Uses[id].(*types.Var)
	if !ok {
		v, ok = c.info.Defs[id].(*types.Var)
	}
	if !ok {
		return nil, c.fail(id, "%s is not a variable", id.Name)
	}
	cl, err := c.variable(id, v)
	if err == nil && cl.k == kInvalid {
		err = c.fail(id, "%s is used as a whole", id.Name)
	}
	return cl, err
}

// index compiles an element of a shared array, slice or map.
func (c *compiler) index(e *ast.IndexExpr) (place, error) {
	id, ok := ast.Unparen(e.X).(*ast.Ident)
	if !ok {
		return place{}, c.fail(e, "an index of an expression")
	}
	v, ok := c.info.Uses[id].(*types.Var)
	if !ok {
		return place{}, c.fail(e, "an index of %s", id.Name)
	}
	cl, err := c.variable(id, v)
	if err != nil {
		return place{}, err
	}
	ix, err := c.expr(e.Index)
	if err != nil {
		return place{}, err
	}
	var elem types.Type
	var p place
	switch t := cl.typ.Underlying().(type) {
	case *types.Array:
		elem = t.Elem()
		n := int(t.Len())
		p, ok = seqPlace(scalarKind(elem), func() unsafe.Pointer { return cl.p }, func() int { return n })
	case *types.Slice:
		elem = t.Elem()
		hdr := (*[]byte)(cl.p) // only its data and length are read
		p, ok = seqPlace(scalarKind(elem), func() unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(*hdr)) }, func() int { return len(*hdr) })
	case *types.Map:
		elem = t.Elem()
		p, ok = mapPlace(goType(t.Key()), goType(elem), cl.p)
	default:
		return place{}, c.fail(e, "an index of %s", cl.typ)
	}
	if !ok || ix.k != kInt && ix.k != kStr {
		return place{}, c.fail(e, "an element of %s", cl.typ)
	}
	p.t = elem
	if ix.k == kInt {
		f := ix.i
		p.index = func() key { return key{i: f()} }
	} else {
		f := ix.s
		p.index = func() key { return key{s: f()} }
	}
	return p, nil
}

// seqPlace is the place of an element of an array or a slice whose data
// and length base and n return; indexes out of range panic as Go's do.
func seqPlace(k kind, base func() unsafe.Pointer, n func() int) (place, bool) {
	p := place{k: k}
	switch k {
	case kInt: // int, int64 and time.Duration have one layout
		p.li, p.si = seq[int64](base, n)
	case kFloat:
		p.lf, p.sf = seq[float64](base, n)
	case kStr:
		p.ls, p.ss = seq[string](base, n)
	case kBool:
		p.lb, p.sb = seq[bool](base, n)
	default:
		return place{}, false
	}
	return p, true
}

func seq[E any](base func() unsafe.Pointer, n func() int) (func(key) E, func(key, E)) {
	elems := func() []E { return unsafe.Slice((*E)(base()), n()) }
	return func(k key) E { return elems()[k.i] }, func(k key, x E) { elems()[k.i] = x }
}

// mapPlace is the place of an element of the map at p, of Go type
// map[kt]vt; false for the types it does not know.
func mapPlace(kt, vt reflect.Type, p unsafe.Pointer) (place, bool) {
	switch kt {
	case reflect.TypeFor[int]():
		return mapPlaceOf(p, func(k key) int { return int(k.i) }, vt)
	case reflect.TypeFor[string]():
		return mapPlaceOf(p, func(k key) string { return k.s }, vt)
	}
	return place{}, false
}

func mapPlaceOf[K int | string](p unsafe.Pointer, pick func(key) K, vt reflect.Type) (place, bool) {
	var out place
	switch vt {
	case reflect.TypeFor[int]():
		out.k = kInt
		out.li, out.si = mapNum[K, int, int64](p, pick)
	case reflect.TypeFor[int64]():
		out.k = kInt
		out.li, out.si = mapNum[K, int64, int64](p, pick)
	case reflect.TypeFor[time.Duration]():
		out.k = kInt
		out.li, out.si = mapNum[K, time.Duration, int64](p, pick)
	case reflect.TypeFor[float64]():
		out.k = kFloat
		out.lf, out.sf = mapNum[K, float64, float64](p, pick)
	case reflect.TypeFor[string]():
		out.k = kStr
		out.ls, out.ss = mapSame[K, string](p, pick)
	case reflect.TypeFor[bool]():
		out.k = kBool
		out.lb, out.sb = mapSame[K, bool](p, pick)
	default:
		return place{}, false
	}
	return out, true
}

func mapNum[K int | string, V int | int64 | time.Duration | float64, H int64 | float64](p unsafe.Pointer, pick func(key) K) (func(key) H, func(key, H)) {
	m := (*map[K]V)(p)
	return func(k key) H { return H((*m)[pick(k)]) }, func(k key, x H) { (*m)[pick(k)] = V(x) }
}

func mapSame[K int | string, V string | bool](p unsafe.Pointer, pick func(key) K) (func(key) V, func(key, V)) {
	m := (*map[K]V)(p)
	return func(k key) V { return (*m)[pick(k)] }, func(k key, x V) { (*m)[pick(k)] = x }
}
