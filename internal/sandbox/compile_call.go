package sandbox

import (
	"go/ast"
	"go/types"
	"reflect"

	"github.com/jstrace-go/jstrace/internal/sandbox/halt"
)

// call compiles a call: a conversion, a builtin, a script function, a
// method of package script, time's or of a Duration, or a native whose
// signature compile_native.go knows. ok reports a single result, as an expr of
// its kind; otherwise the expr's do runs the call.
func (c *compiler) call(e *ast.CallExpr) (x expr, ok bool, err error) {
	if e.Ellipsis.IsValid() {
		return expr{}, false, c.fail(e, "a call with ...")
	}
	if tv := c.info.Types[e.Fun]; tv.IsType() {
		x, err := c.conversion(e, tv.Type)
		return x, err == nil, err
	}
	var id *ast.Ident
	var recv ast.Expr
	switch f := ast.Unparen(e.Fun).(type) {
	case *ast.Ident:
		id = f
	case *ast.SelectorExpr:
		id = f.Sel
		if _, isPkg := c.info.Uses[identOf(f.X)].(*types.PkgName); !isPkg {
			recv = f.X
		}
	default:
		return expr{}, false, c.fail(e, "a call of a function value")
	}
	if b, ok := c.info.Uses[id].(*types.Builtin); ok {
		return c.builtin(e, b.Name())
	}
	args := make([]expr, len(e.Args))
	for i, a := range e.Args {
		if args[i], err = c.expr(a); err != nil {
			return expr{}, false, err
		}
	}
	switch obj := c.info.Uses[id].(type) {
	case *types.Func:
		if d := c.spec.decls[obj]; d != nil && recv == nil {
			return c.scriptCall(e, d, args)
		}
		if recv != nil {
			r, err := c.expr(recv)
			if err != nil {
				return expr{}, false, err
			}
			return c.method(e, r, obj.Name(), args)
		}
		if obj.Pkg() == nil {
			break
		}
		v, found := c.spec.natives(obj.Pkg().Path(), obj.Name())
		if !found {
			break
		}
		x, ok := native(v.Interface(), args)
		if x.k == kInvalid && x.do == nil {
			break
		}
		if ok {
			x.t = c.info.TypeOf(e)
		}
		return c.spec.stoppable(x), ok, nil
	}
	return expr{}, false, c.fail(e, "a call of %s", id.Name)
}

func identOf(e ast.Expr) *ast.Ident {
	id, _ := ast.Unparen(e).(*ast.Ident)
	return id
}

// conversion compiles T(x) between the numeric kinds, and of strings.
func (c *compiler) conversion(e *ast.CallExpr, t types.Type) (expr, error) {
	out := expr{k: scalarKind(t), t: t}
	if len(e.Args) != 1 || out.k == kInvalid {
		return expr{}, c.fail(e, "a conversion to %s", t)
	}
	x, err := c.expr(e.Args[0])
	if err != nil {
		return expr{}, err
	}
	switch {
	case out.k == x.k && out.k != kTime:
		x.t = t
		return x, nil
	case out.k == kFloat && x.k == kInt:
		f := x.i
		out.f = func() float64 { return float64(f()) }
		return out, nil
	case out.k == kInt && x.k == kFloat:
		f := x.f
		out.i = func() int64 { return int64(f()) }
		return out, nil
	}
	return expr{}, c.fail(e, "a conversion of %s to %s", x.t, t)
}

func (c *compiler) builtin(e *ast.CallExpr, name string) (expr, bool, error) {
	out := expr{k: kInt, t: types.Typ[types.Int]}
	if name != "len" || len(e.Args) != 1 {
		return expr{}, false, c.fail(e, "a call of %s", name)
	}
	if scalarKind(c.info.TypeOf(e.Args[0])) == kStr {
		x, err := c.expr(e.Args[0])
		if err != nil {
			return expr{}, false, err
		}
		f := x.s
		out.i = func() int64 { return int64(len(f())) }
		return out, true, nil
	}
	if id := identOf(e.Args[0]); id != nil {
		v, ok := c.info.Uses[id].(*types.Var)
		if !ok {
			return expr{}, false, c.fail(e, "len of %s", id.Name)
		}
		cl, err := c.variable(id, v)
		if err != nil {
			return expr{}, false, err
		}
		if gt := goType(cl.typ); gt != nil && cl.k == kInvalid {
			v := reflect.NewAt(gt, cl.p).Elem() // an array, a slice or a map: Len reads no more
			out.i = func() int64 { return int64(v.Len()) }
			return out, true, nil
		}
	}
	return expr{}, false, c.fail(e, "a call of %s", name)
}

// scriptCall compiles a call of a script function, expanded here: its
// parameters and result are variables of this call site.
func (c *compiler) scriptCall(e *ast.CallExpr, d *ast.FuncDecl, args []expr) (expr, bool, error) {
	ft := d.Type
	if ft.TypeParams != nil {
		return expr{}, false, c.fail(e, "a call of a generic function")
	}
	var params []*place
	for _, f := range ft.Params.List {
		if _, ok := f.Type.(*ast.Ellipsis); ok {
			return expr{}, false, c.fail(e, "a call of a variadic function")
		}
		if len(f.Names) == 0 {
			params = append(params, nil)
		}
		for _, n := range f.Names {
			p, err := c.target(n, true)
			if err != nil {
				return expr{}, false, err
			}
			params = append(params, p)
		}
	}
	if len(params) != len(args) {
		return expr{}, false, c.fail(e, "a call of %s with %d arguments", d.Name.Name, len(args))
	}
	fc := &funcCtx{nested: true}
	var zero stmt
	if ft.Results != nil {
		if ft.Results.NumFields() != 1 {
			return expr{}, false, c.fail(e, "a call of %s, which has %d results", d.Name.Name, ft.Results.NumFields())
		}
		r := ft.Results.List[0]
		if len(r.Names) > 0 {
			// The interpreter starts a named result of f in n = f() at
			// n's value, not at zero (its result slot is n's storage).
			return expr{}, false, c.fail(e, "a call of %s, whose result is named", d.Name.Name)
		}
		t := c.info.TypeOf(r.Type)
		k := scalarKind(t)
		if k == kInvalid {
			return expr{}, false, c.fail(e, "a result of type %s", t)
		}
		fc.result = newCell(t, k)
		zero = zeroOf(fc.result)
	}
	outer, outerName, outerLoop := c.fn, c.fnName, c.loop
	c.fn, c.fnName, c.loop = fc, "main."+d.Name.Name, nil
	body, err := c.block(d.Body.List)
	c.fn, c.fnName, c.loop = outer, outerName, outerLoop
	if err != nil {
		return expr{}, false, err
	}
	// Arguments are evaluated before any is assigned: f(b, a) of f(a, b).
	var eval []func()
	var sets []func()
	for i, p := range params {
		if p == nil {
			eval = append(eval, args[i].run())
			continue
		}
		tmp := newCell(args[i].t, args[i].k)
		st, ld := store(varPlace(tmp), args[i]), store(*p, load(tmp))
		eval = append(eval, func() { st(key{}) })
		sets = append(sets, func() { ld(key{}) })
	}
	halted := c.spec.halted()
	run := func() {
		halted()
		for _, f := range eval {
			f()
		}
		for _, f := range sets {
			f()
		}
		if zero != nil {
			zero()
		}
		body()
	}
	if fc.result == nil {
		return expr{do: run}, false, nil
	}
	return load(fc.result).after(run), true, nil
}

// halted returns the check compiled code makes before each call of a
// native or of a script function: a panic with halt.Halted once the
// script was killed (the watchdog's, or the inline watchers'), which the
// engine recovers as it does from native code unwinding out of a killed
// script. The code between two calls is a bounded number of steps; a
// native's own time grows with its arguments, and a handler may make
// hundreds of calls.
func (spec *handlerSpec) halted() func() {
	sw := spec.halt
	if sw == nil {
		return func() {}
	}
	return func() {
		if sw.Thrown() {
			panic(halt.Halted{})
		}
	}
}

// stoppable makes x, a native's call, check first whether the script was
// killed.
func (spec *handlerSpec) stoppable(x expr) expr { return x.after(spec.halted()) }
