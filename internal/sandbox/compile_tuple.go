package sandbox

import (
	"go/ast"
	"go/token"
	"go/types"
	"reflect"
	"time"
)

// Calls of several results, assigned: n, err := strconv.Atoi(s); before,
// after, found := strings.Cut(s, sep). Only natives whose signature
// results knows; a script function of several results stays
// interpreted.

// tupleAssign compiles lhs... = call (or :=).
func (c *compiler) tupleAssign(s *ast.AssignStmt) (stmt, error) {
	call, ok := ast.Unparen(s.Rhs[0]).(*ast.CallExpr)
	if !ok {
		return nil, c.fail(s, "an assignment of %d values from one", len(s.Lhs))
	}
	run, results, err := c.tuple(call)
	if err != nil {
		return nil, err
	}
	if len(results) != len(s.Lhs) {
		return nil, c.fail(s, "an assignment of %d results to %d", len(results), len(s.Lhs))
	}
	var sets []func(key)
	for i, l := range s.Lhs {
		p, err := c.target(l, s.Tok == token.DEFINE)
		if err != nil {
			return nil, err
		}
		if p == nil {
			continue
		}
		if p.index != nil {
			return nil, c.fail(l, "an element among several assignments")
		}
		if p.k != results[i].k {
			return nil, c.fail(l, "a result of %s assigned to %s", results[i].typ, p.t)
		}
		sets = append(sets, store(*p, load(results[i])))
	}
	return func() bool {
		run()
		for _, set := range sets {
			set(key{})
		}
		return false
	}, nil
}

// tuple compiles a call of a native of several results: run makes it and
// puts its results in the cells.
func (c *compiler) tuple(call *ast.CallExpr) (run func(), results []*cell, err error) {
	if call.Ellipsis.IsValid() {
		return nil, nil, c.fail(call, "a call with ...")
	}
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return nil, nil, c.fail(call, "a call of several results")
	}
	fn, _ := c.info.Uses[sel.Sel].(*types.Func)
	if _, isPkg := c.info.Uses[identOf(sel.X)].(*types.PkgName); fn == nil || !isPkg || fn.Pkg() == nil {
		return nil, nil, c.fail(call, "a call of several results")
	}
	v, found := c.spec.natives(fn.Pkg().Path(), fn.Name())
	if !found {
		return nil, nil, c.fail(call, "a call of %s", fn.Name())
	}
	args := make([]expr, len(call.Args))
	for i, a := range call.Args {
		if args[i], err = c.expr(a); err != nil {
			return nil, nil, err
		}
	}
	tt, _ := c.info.TypeOf(call).(*types.Tuple)
	if tt == nil {
		return nil, nil, c.fail(call, "a call of %s", fn.Name())
	}
	for r := range tt.Variables() {
		k := scalarKind(r.Type())
		if k == kInvalid {
			return nil, nil, c.fail(call, "a result of type %s", r.Type())
		}
		results = append(results, newCell(r.Type(), k))
	}
	call2 := results2(v, args, results)
	if call2 == nil {
		return nil, nil, c.fail(call, "a call of %s", fn.Name())
	}
	halted := c.spec.halted()
	return func() { halted(); call2() }, results, nil
}

// results2 returns the call of fn, a native of several results, with
// args, that puts them into cells (of their kinds); nil for a signature
// it does not know.
func results2(fn reflect.Value, args []expr, cells []*cell) func() {
	kinds := func(ks ...kind) bool { return kindsAre(args, exprKind, ks) }
	outs := func(ks ...kind) bool { return kindsAre(cells, cellKind, ks) }
	switch fn := fn.Interface().(type) {
	case func(string) (int, error):
		if kinds(kStr) && outs(kInt, kErr) {
			a, n, e := args[0].s, intAt(cells[0]), errAt(cells[1])
			return func() { v, err := fn(a()); *n, *e = int64(v), err }
		}
	case func(string) (bool, error):
		if kinds(kStr) && outs(kBool, kErr) {
			a, b, e := args[0].s, boolAt(cells[0]), errAt(cells[1])
			return func() { *b, *e = fn(a()) }
		}
	case func(string) (time.Duration, error):
		if kinds(kStr) && outs(kInt, kErr) {
			a, n, e := args[0].s, intAt(cells[0]), errAt(cells[1])
			return func() { v, err := fn(a()); *n, *e = int64(v), err }
		}
	case func(string, int) (float64, error):
		if kinds(kStr, kInt) && outs(kFloat, kErr) {
			a, b, f, e := args[0].s, args[1].i, floatAt(cells[0]), errAt(cells[1])
			return func() { *f, *e = fn(a(), int(b())) }
		}
	case func(string, int, int) (int64, error):
		if kinds(kStr, kInt, kInt) && outs(kInt, kErr) {
			a, b, bits, n, e := args[0].s, args[1].i, args[2].i, intAt(cells[0]), errAt(cells[1])
			return func() { *n, *e = fn(a(), int(b()), int(bits())) }
		}
	case func(string, string) (string, bool):
		if kinds(kStr, kStr) && outs(kStr, kBool) {
			a, b, s, ok := args[0].s, args[1].s, strAt(cells[0]), boolAt(cells[1])
			return func() { *s, *ok = fn(a(), b()) }
		}
	case func(string, string) (string, string, bool):
		if kinds(kStr, kStr) && outs(kStr, kStr, kBool) {
			a, b, s, t, ok := args[0].s, args[1].s, strAt(cells[0]), strAt(cells[1]), boolAt(cells[2])
			return func() { *s, *t, *ok = fn(a(), b()) }
		}
	}
	return nil
}

// The cells, as their Go types: results2 checked their kinds.
func intAt(c *cell) *int64     { return (*int64)(c.p) }
func floatAt(c *cell) *float64 { return (*float64)(c.p) }
func strAt(c *cell) *string    { return (*string)(c.p) }
func boolAt(c *cell) *bool     { return (*bool)(c.p) }
func errAt(c *cell) *error     { return (*error)(c.p) }
