package sandbox

import (
	"go/ast"
	"go/token"
	"go/types"
	"time"
	"unsafe"

	"github.com/jstrace-go/jstrace/script"
)

// Values compiled code holds, passes and calls methods of, without
// arithmetic: a time.Time, a Trace and the Traces (each in a field of
// expr of its own, read where their methods and fields are compiled), an
// Aggregation (a variable the script shares), a Group (the variable of a
// range over an Aggregation's Take or Snapshot) and an error (a native's
// last result, strconv.Atoi's), the last three in expr's o. Each holds a
// func() T (a func() *script.Group for a Group: its fields are read where
// the variable is, not copied); ops says how to hold, move and pass it.
// All of it runs at compile time: the functions it returns are what
// runs.
type ops struct {
	get   func(x expr) any                     // x's func() T, nil if it has none
	set   func(x *expr, f any)                 // makes f x's func() T
	alloc func() unsafe.Pointer                // a new variable's storage
	zero  func(p unsafe.Pointer)               // sets the variable at p to its zero value
	load  func(p unsafe.Pointer) any           // the func() T reading the variable at p
	store func(p unsafe.Pointer, f any) func() // the store of f's value into the variable at p
	after func(f any, g func()) any            // f with g run first
	run   func(f any) func()                   // f for its effects
	box   func(f any) func() any               // f's value as the interpreter passes it to a native's ...any
}

// others are the ops of the kinds that have them, by kind.
var others = [...]*ops{
	kTime:   inField(opsOf[time.Time](), func(x *expr) *func() time.Time { return &x.tm }),
	kTrace:  inField(opsOf[*script.Trace](), func(x *expr) *func() *script.Trace { return &x.tr }),
	kTraces: inField(opsOf[*script.Traces](), func(x *expr) *func() *script.Traces { return &x.ts }),
	kAgg:    inO(opsOf[*script.Aggregation]()),
	kGroup:  inO(groupOps()),
	kErr:    inO(opsOf[error]()),
}

// opsFor returns x's ops and its func() T; nil, nil if its kind has none
// or x has no such function (it is a statement's, say).
func opsFor(x expr) (*ops, any) {
	if int(x.k) >= len(others) || others[x.k] == nil {
		return nil, nil
	}
	o := others[x.k]
	return o, o.get(x)
}

// inO completes o for a kind held in expr's o.
func inO(o *ops) *ops {
	o.get = func(x expr) any { return x.o }
	o.set = func(x *expr, f any) { x.o = f }
	return o
}

// inField completes o for a kind held in a field of expr's own.
func inField[T any](o *ops, field func(x *expr) *func() T) *ops {
	o.get = func(x expr) any {
		if f := *field(&x); f != nil {
			return f
		}
		return nil // not a typed nil in an interface
	}
	o.set = func(x *expr, f any) { *field(x) = f.(func() T) }
	return o
}

// otherKind returns kGroup for script.Group and kErr for error; kInvalid
// otherwise.
func otherKind(t types.Type) kind {
	if types.Identical(t, types.Universe.Lookup("error").Type()) {
		return kErr
	}
	if n, ok := t.(*types.Named); ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == ScriptPackage && n.Obj().Name() == "Group" {
		return kGroup
	}
	return kInvalid
}

// opsOf are the ops of values of type T, held as a T.
func opsOf[T any]() *ops {
	o := movesOf[T]()
	o.alloc = func() unsafe.Pointer { return unsafe.Pointer(new(T)) }
	o.zero = func(p unsafe.Pointer) { var zero T; *(*T)(p) = zero }
	o.load = func(p unsafe.Pointer) any { v := (*T)(p); return func() T { return *v } }
	o.store = func(p unsafe.Pointer, f any) func() {
		v, g := (*T)(p), f.(func() T)
		return func() { *v = g() }
	}
	o.box = func(f any) func() any { g := f.(func() T); return func() any { return g() } }
	return o
}

// movesOf are the ops every kind has the same way, for an o of func() T.
func movesOf[T any]() *ops {
	return &ops{
		after: func(f any, g func()) any { h := f.(func() T); return func() T { g(); return h() } },
		run:   func(f any) func() { h := f.(func() T); return func() { h() } },
	}
}

// groupOps are a Group's ops: a Group is held as a script.Group, and its
// expressions return where it is.
func groupOps() *ops {
	o := movesOf[*script.Group]()
	o.alloc = func() unsafe.Pointer { return unsafe.Pointer(new(script.Group)) }
	o.zero = func(p unsafe.Pointer) { *(*script.Group)(p) = script.Group{} }
	o.load = func(p unsafe.Pointer) any { v := (*script.Group)(p); return func() *script.Group { return v } }
	o.store = func(p unsafe.Pointer, f any) func() {
		v, g := (*script.Group)(p), f.(func() *script.Group)
		return func() { *v = *g() }
	}
	o.box = func(f any) func() any { g := f.(func() *script.Group); return func() any { return *g() } }
	return o
}

// groupField compiles a Group's field of a number or a string.
func (c *compiler) groupField(e *ast.SelectorExpr, x expr) (expr, error) {
	g := x.o.(func() *script.Group)
	out := expr{k: scalarKind(c.info.TypeOf(e)), t: c.info.TypeOf(e)}
	switch e.Sel.Name {
	case "Key":
		out.s = func() string { return g().Key }
	case "Count":
		out.i = func() int64 { return int64(g().Count) }
	case "Sum":
		out.f = func() float64 { return g().Sum }
	case "Min":
		out.f = func() float64 { return g().Min }
	case "Max":
		out.f = func() float64 { return g().Max }
	default:
		return expr{}, c.fail(e, "the Group field %s", e.Sel.Name)
	}
	return out, nil
}

// otherMethod compiles a call of a method of a Group, of an Aggregation
// (those that return a number: Take and Snapshot only as what a range
// ranges over) or of an error.
func (c *compiler) otherMethod(e *ast.CallExpr, r expr, name string, args []expr) (expr, bool, error) {
	x := expr{k: scalarKind(c.info.TypeOf(e)), t: c.info.TypeOf(e)}
	switch r.k {
	case kGroup:
		g := r.o.(func() *script.Group)
		switch {
		case name == "Mean" && len(args) == 0:
			x.f = func() float64 { return g().Mean() }
		case name == "Quantile" && len(args) == 1 && args[0].k == kFloat:
			q := args[0].f
			x.f = func() float64 { return g().Quantile(q()) }
		case name == "String" && len(args) == 0:
			x.s = func() string { return g().String() }
		default:
			return expr{}, false, c.fail(e, "the Group method %s", name)
		}
		return x, true, nil
	case kAgg:
		a := r.o.(func() *script.Aggregation)
		switch {
		case name == "Missing" && len(args) == 0:
			x.i = func() int64 { return int64(a().Missing()) }
		case name == "Dropped" && len(args) == 0:
			x.i = func() int64 { return int64(a().Dropped()) }
		default:
			return expr{}, false, c.fail(e, "the Aggregation method %s outside a range", name)
		}
		return x, true, nil
	case kErr:
		if name == "Error" && len(args) == 0 {
			f := r.o.(func() error)
			x.s = func() string { return f().Error() }
			return x, true, nil
		}
	}
	return expr{}, false, c.fail(e, "the method %s of %s", name, r.t)
}

// nilCompare compiles err == nil and err != nil (either way round); ok
// false if e is not a comparison with nil.
func (c *compiler) nilCompare(e *ast.BinaryExpr) (x expr, ok bool, err error) {
	other := e.X
	switch {
	case c.info.Types[e.Y].IsNil():
	case c.info.Types[e.X].IsNil():
		other = e.Y
	default:
		return expr{}, false, nil
	}
	v, err := c.expr(other)
	if err != nil {
		return expr{}, true, err
	}
	if v.k != kErr || e.Op != token.EQL && e.Op != token.NEQ {
		return expr{}, true, c.fail(e, "%s compared with nil", v.t)
	}
	f, eq := v.o.(func() error), e.Op == token.EQL
	return expr{k: kBool, t: c.info.TypeOf(e), b: func() bool { return (f() == nil) == eq }}, true, nil
}
