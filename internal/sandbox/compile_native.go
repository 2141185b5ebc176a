package sandbox

import (
	"go/ast"
	"go/types"
	"time"
)

// method compiles a call of a method of a Trace, of Traces (those a
// bounded handler may call that print or emit), of a Duration or of a
// Time.
func (c *compiler) method(e *ast.CallExpr, r expr, name string, args []expr) (expr, bool, error) {
	x := expr{k: scalarKind(c.info.TypeOf(e)), t: c.info.TypeOf(e)}
	switch r.k {
	case kTrace:
		if len(args) != 1 || args[0].k != kStr {
			break
		}
		if x, ok := c.fieldRead(e, name); ok {
			return x, true, nil
		}
		t, k := r.tr, args[0].s
		switch name {
		case "Int":
			x.i = func() int64 { return int64(t().Int(k())) }
		case "Dur":
			x.i = func() int64 { return int64(t().Dur(k())) }
		case "Float":
			x.f = func() float64 { return t().Float(k()) }
		case "Str":
			x.s = func() string { return t().Str(k()) }
		case "Bool":
			x.b = func() bool { return t().Bool(k()) }
		case "Has":
			x.b = func() bool { return t().Has(k()) }
		case "TimeField":
			x.tm = func() time.Time { return t().TimeField(k()) }
		default:
			return expr{}, false, c.fail(e, "the Trace method %s", name)
		}
		return x, true, nil
	case kTraces:
		ts := r.ts
		switch {
		case name == "Emit" && len(args) >= 1 && args[0].k == kStr:
			n, kv := args[0].s, boxAll(args[1:])
			if kv == nil {
				break
			}
			return c.spec.stoppable(expr{do: func() { ts().Emit(n(), kv()...) }}), false, nil
		case name == "Log" || name == "Error":
			a := boxAll(args)
			if a == nil {
				break
			}
			if name == "Error" {
				return c.spec.stoppable(expr{do: func() { ts().Error(a()...) }}), false, nil
			}
			return c.spec.stoppable(expr{do: func() { ts().Log(a()...) }}), false, nil
		case (name == "Logf" || name == "Errorf") && len(args) >= 1 && args[0].k == kStr:
			f, a := args[0].s, boxAll(args[1:])
			if a == nil {
				break
			}
			if name == "Errorf" {
				return c.spec.stoppable(expr{do: func() { ts().Errorf(f(), a()...) }}), false, nil
			}
			return c.spec.stoppable(expr{do: func() { ts().Logf(f(), a()...) }}), false, nil
		}
		return expr{}, false, c.fail(e, "the Traces method %s", name)
	case kInt:
		if !isDuration(r.t) || len(args) != 0 {
			break
		}
		d := r.i
		switch name {
		case "Seconds":
			x.f = func() float64 { return time.Duration(d()).Seconds() }
		case "Minutes":
			x.f = func() float64 { return time.Duration(d()).Minutes() }
		case "Hours":
			x.f = func() float64 { return time.Duration(d()).Hours() }
		case "Milliseconds":
			x.i = func() int64 { return time.Duration(d()).Milliseconds() }
		case "Microseconds":
			x.i = func() int64 { return time.Duration(d()).Microseconds() }
		case "Nanoseconds":
			x.i = func() int64 { return time.Duration(d()).Nanoseconds() }
		case "String":
			x.s = func() string { return time.Duration(d()).String() }
		default:
			return expr{}, false, c.fail(e, "the Duration method %s", name)
		}
		return x, true, nil
	case kTime:
		t := r.tm
		switch {
		case name == "Sub" && len(args) == 1 && args[0].k == kTime:
			u := args[0].tm
			x.i = func() int64 { return int64(t().Sub(u())) }
		case name == "Add" && len(args) == 1 && isDuration(args[0].t):
			d := args[0].i
			x.tm = func() time.Time { return t().Add(time.Duration(d())) }
		case name == "UnixNano" && len(args) == 0:
			x.i = func() int64 { return t().UnixNano() }
		case name == "UnixMilli" && len(args) == 0:
			x.i = func() int64 { return t().UnixMilli() }
		case name == "Unix" && len(args) == 0:
			x.i = func() int64 { return t().Unix() }
		default:
			return expr{}, false, c.fail(e, "the Time method %s", name)
		}
		return x, true, nil
	case kGroup, kAgg, kErr:
		return c.otherMethod(e, r, name, args)
	}
	return expr{}, false, c.fail(e, "the method %s of %s", name, r.t)
}

func isDuration(t types.Type) bool {
	n, ok := t.(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "time" && n.Obj().Name() == "Duration"
}

// box returns x as an interface value of its Go type, as the interpreter
// passes it to a native's ...any; nil for a type it does not know.
func box(x expr) func() any {
	t := x.t
	if b, ok := t.(*types.Basic); ok && b.Info()&types.IsUntyped != 0 {
		t = types.Default(t)
	}
	switch {
	case isDuration(t):
		f := x.i
		return func() any { return time.Duration(f()) }
	}
	if ops, f := opsFor(x); f != nil {
		return ops.box(f)
	}
	b, ok := t.(*types.Basic)
	if !ok {
		return nil
	}
	switch b.Kind() {
	case types.Int:
		f := x.i
		return func() any { return int(f()) }
	case types.Int64:
		f := x.i
		return func() any { return f() }
	case types.Float64:
		f := x.f
		return func() any { return f() }
	case types.String:
		f := x.s
		return func() any { return f() }
	case types.Bool:
		f := x.b
		return func() any { return f() }
	}
	return nil
}

// boxAll returns the function that boxes xs into a new slice; nil if one
// of them cannot be.
func boxAll(xs []expr) func() []any {
	fs := make([]func() any, len(xs))
	for i, x := range xs {
		if fs[i] = box(x); fs[i] == nil {
			return nil
		}
	}
	if len(fs) == 0 {
		return func() []any { return nil }
	}
	return func() []any {
		out := make([]any, len(fs))
		for i, f := range fs {
			out[i] = f()
		}
		return out
	}
}

// native compiles a call of fn, a native function of the interpreter's
// symbol tables (so the very function the interpreted call would make),
// with args, when fn's signature is one it knows. A result of kInvalid and
// no do: not known.
func native(fn any, args []expr) (expr, bool) {
	kinds := func(ks ...kind) bool { return kindsAre(args, exprKind, ks) }
	var x expr
	switch fn := fn.(type) {
	case func(string) string:
		if kinds(kStr) {
			a := args[0].s
			x = expr{k: kStr, t: types.Typ[types.String], s: func() string { return fn(a()) }}
		}
	case func(string) int:
		if kinds(kStr) {
			a := args[0].s
			x = expr{k: kInt, t: types.Typ[types.Int], i: func() int64 { return int64(fn(a())) }}
		}
	case func(string, string) bool:
		if kinds(kStr, kStr) {
			a, b := args[0].s, args[1].s
			x = expr{k: kBool, t: types.Typ[types.Bool], b: func() bool { return fn(a(), b()) }}
		}
	case func(string, string) int:
		if kinds(kStr, kStr) {
			a, b := args[0].s, args[1].s
			x = expr{k: kInt, t: types.Typ[types.Int], i: func() int64 { return int64(fn(a(), b())) }}
		}
	case func(string, string) string:
		if kinds(kStr, kStr) {
			a, b := args[0].s, args[1].s
			x = expr{k: kStr, t: types.Typ[types.String], s: func() string { return fn(a(), b()) }}
		}
	case func(int) string:
		if kinds(kInt) {
			a := args[0].i
			x = expr{k: kStr, t: types.Typ[types.String], s: func() string { return fn(int(a())) }}
		}
	case func(float64) float64:
		if kinds(kFloat) {
			a := args[0].f
			x = expr{k: kFloat, t: types.Typ[types.Float64], f: func() float64 { return fn(a()) }}
		}
	case func(float64, float64) float64:
		if kinds(kFloat, kFloat) {
			a, b := args[0].f, args[1].f
			x = expr{k: kFloat, t: types.Typ[types.Float64], f: func() float64 { return fn(a(), b()) }}
		}
	case func(time.Time) time.Duration:
		if kinds(kTime) {
			a := args[0].tm
			x = expr{k: kInt, i: func() int64 { return int64(fn(a())) }}
		}
	case func() time.Time:
		if kinds() {
			x = expr{k: kTime, tm: fn}
		}
	case func(...any) string:
		if a := boxAll(args); a != nil {
			x = expr{k: kStr, t: types.Typ[types.String], s: func() string { return fn(a()...) }}
		}
	case func(string, ...any) string:
		if len(args) >= 1 && args[0].k == kStr {
			if a := boxAll(args[1:]); a != nil {
				f := args[0].s
				x = expr{k: kStr, t: types.Typ[types.String], s: func() string { return fn(f(), a()...) }}
			}
		}
	case func(...any) (int, error):
		if a := boxAll(args); a != nil {
			return expr{do: func() { fn(a()...) }}, false
		}
	case func(string, ...any) (int, error):
		if len(args) >= 1 && args[0].k == kStr {
			if a := boxAll(args[1:]); a != nil {
				f := args[0].s
				return expr{do: func() { fn(f(), a()...) }}, false
			}
		}
	}
	return x, x.k != kInvalid
}

// kindsAre reports whether xs are, one for one, of the kinds ks.
func kindsAre[T any](xs []T, kindOf func(T) kind, ks []kind) bool {
	if len(xs) != len(ks) {
		return false
	}
	for i, k := range ks {
		if kindOf(xs[i]) != k {
			return false
		}
	}
	return true
}

func exprKind(x expr) kind  { return x.k }
func cellKind(c *cell) kind { return c.k }
