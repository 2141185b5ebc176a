package sandbox

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

// An expr is a compiled expression: the function of its kind returns its
// value.
type expr struct {
	k  kind
	t  types.Type
	i  func() int64
	f  func() float64
	s  func() string
	b  func() bool
	tm func() time.Time
	tr func() *script.Trace
	ts func() *script.Traces
	o  any    // the kinds of others: a func() T, as its ops say
	do func() // a call whose results, if any, are not used
	// konst: a constant's, whose closure returns its value and does
	// nothing else; operations with it read it once, as they compile
	// (arithInt and the others: a call fewer each time they run).
	konst bool
}

// after returns x with f run before its value is computed (or its call
// made, for a do).
func (x expr) after(f func()) expr {
	x.konst = false
	switch {
	case x.do != nil:
		g := x.do
		x.do = func() { f(); g() }
	case x.i != nil:
		g := x.i
		x.i = func() int64 { f(); return g() }
	case x.f != nil:
		g := x.f
		x.f = func() float64 { f(); return g() }
	case x.s != nil:
		g := x.s
		x.s = func() string { f(); return g() }
	case x.b != nil:
		g := x.b
		x.b = func() bool { f(); return g() }
	default:
		if ops, g := opsFor(x); g != nil {
			ops.set(&x, ops.after(g, f))
		}
	}
	return x
}

// expr compiles e, which must have a value of a compiled kind.
func (c *compiler) expr(e ast.Expr) (expr, error) {
	tv := c.info.Types[e]
	if tv.Value != nil {
		return c.constant(e, tv)
	}
	switch e := e.(type) {
	case *ast.ParenExpr:
		return c.expr(e.X)
	case *ast.Ident:
		cl, err := c.scalar(e)
		if err != nil {
			return expr{}, err
		}
		return load(cl), nil
	case *ast.BinaryExpr:
		return c.binary(e)
	case *ast.UnaryExpr:
		return c.unary(e)
	case *ast.CallExpr:
		x, ok, err := c.call(e)
		if err == nil && !ok {
			err = c.fail(e, "a call with no single result used as a value")
		}
		return x, err
	case *ast.SelectorExpr:
		return c.field(e)
	case *ast.IndexExpr:
		p, err := c.index(e)
		if err != nil {
			return expr{}, err
		}
		return p.read(), nil
	}
	return expr{}, c.fail(e, "%s", construct(e))
}

// construct names a construct compiled code lacks, for vet --handlers.
func construct(n ast.Node) string {
	switch n := n.(type) {
	case *ast.SwitchStmt:
		return "a switch"
	case *ast.TypeSwitchStmt:
		return "a type switch"
	case *ast.DeferStmt:
		return "defer"
	case *ast.BranchStmt:
		return n.Tok.String()
	case *ast.LabeledStmt:
		return "a label"
	case *ast.CompositeLit:
		return "a composite literal"
	case *ast.FuncLit:
		return "a function literal"
	case *ast.SliceExpr:
		return "a slice expression"
	case *ast.TypeAssertExpr:
		return "a type assertion"
	case *ast.StarExpr:
		return "a pointer dereference"
	case *ast.IndexListExpr:
		return "a generic instantiation"
	}
	return fmt.Sprintf("a %T", n)
}

// constant compiles a constant expression of a compiled type.
func (c *compiler) constant(e ast.Expr, tv types.TypeAndValue) (expr, error) {
	x := expr{k: scalarKind(tv.Type), t: tv.Type, konst: true}
	v := tv.Value
	switch x.k {
	case kInt:
		n, exact := constant.Int64Val(constant.ToInt(v))
		if !exact {
			return expr{}, c.fail(e, "a constant out of range")
		}
		x.i = func() int64 { return n }
	case kFloat:
		f, _ := constant.Float64Val(constant.ToFloat(v))
		x.f = func() float64 { return f }
	case kStr:
		s := constant.StringVal(v)
		x.s = func() string { return s }
	case kBool:
		b := constant.BoolVal(v)
		x.b = func() bool { return b }
	default:
		return expr{}, c.fail(e, "a constant of type %s", tv.Type)
	}
	return x, nil
}

// load reads a scalar variable.
func load(cl *cell) expr {
	x := expr{k: cl.k, t: cl.typ}
	switch cl.k {
	case kInt:
		p := (*int64)(cl.p)
		x.i = func() int64 { return *p }
	case kFloat:
		p := (*float64)(cl.p)
		x.f = func() float64 { return *p }
	case kStr:
		p := (*string)(cl.p)
		x.s = func() string { return *p }
	case kBool:
		p := (*bool)(cl.p)
		x.b = func() bool { return *p }
	default:
		if ops := others[cl.k]; ops != nil {
			ops.set(&x, ops.load(cl.p))
		}
	}
	return x
}

func (c *compiler) unary(e *ast.UnaryExpr) (expr, error) {
	x, err := c.expr(e.X)
	if err != nil {
		return expr{}, err
	}
	x.konst = false // a constant's operation is a constant, compiled as one: not here
	switch {
	case e.Op == token.ADD && (x.k == kInt || x.k == kFloat):
		return x, nil
	case e.Op == token.SUB && x.k == kInt:
		f := x.i
		x.i = func() int64 { return -f() }
		return x, nil
	case e.Op == token.SUB && x.k == kFloat:
		f := x.f
		x.f = func() float64 { return -f() }
		return x, nil
	case e.Op == token.XOR && x.k == kInt:
		f := x.i
		x.i = func() int64 { return ^f() }
		return x, nil
	case e.Op == token.NOT && x.k == kBool:
		f := x.b
		x.b = func() bool { return !f() }
		return x, nil
	}
	return expr{}, c.fail(e, "the operator %s on %s", e.Op, x.t)
}

func (c *compiler) binary(e *ast.BinaryExpr) (expr, error) {
	out := expr{k: scalarKind(c.info.TypeOf(e)), t: c.info.TypeOf(e)}
	if out.k == kInvalid {
		return expr{}, c.fail(e, "a value of type %s", out.t)
	}
	if e.Op == token.SHL || e.Op == token.SHR {
		return expr{}, c.fail(e, "a shift")
	}
	if x, ok, err := c.nilCompare(e); ok {
		return x, err
	}
	x, err := c.expr(e.X)
	if err != nil {
		return expr{}, err
	}
	y, err := c.expr(e.Y)
	if err != nil {
		return expr{}, err
	}
	if x.k != y.k {
		return expr{}, c.fail(e, "operands of kinds %d and %d", x.k, y.k)
	}
	switch e.Op {
	case token.EQL, token.NEQ, token.LSS, token.LEQ, token.GTR, token.GEQ:
		out.b = compare(e.Op, x, y)
		if out.b == nil {
			return expr{}, c.fail(e, "%s compared", x.t)
		}
		return out, nil
	case token.LAND:
		a, b := x.b, y.b
		out.b = func() bool { return a() && b() }
		return out, nil
	case token.LOR:
		a, b := x.b, y.b
		out.b = func() bool { return a() || b() }
		return out, nil
	}
	switch x.k {
	case kInt:
		out.i = arithInt(e.Op, x.i, y)
		if out.i != nil {
			return out, nil
		}
	case kFloat:
		out.f = arithFloat(e.Op, x.f, y)
		if out.f != nil {
			return out, nil
		}
	case kStr:
		if e.Op == token.ADD {
			a, b := x.s, y.s
			out.s = func() string { return a() + b() }
			return out, nil
		}
	}
	return expr{}, c.fail(e, "the operator %s on %s", e.Op, x.t)
}

// arithInt returns a op y for ints, wrapping at 64 bits as Go does; nil
// for an operator it does not know. Division by zero panics, as in Go (a
// constant y is never zero there: the type checker refuses it).
func arithInt(op token.Token, a func() int64, y expr) func() int64 {
	if y.konst {
		c := y.i()
		if op == token.REM {
			return func() int64 { return a() % c }
		}
		if f := arithConst(op, a, c); f != nil {
			return f
		}
	}
	b := y.i
	switch op {
	case token.ADD:
		return func() int64 { return a() + b() }
	case token.SUB:
		return func() int64 { return a() - b() }
	case token.MUL:
		return func() int64 { return a() * b() }
	case token.QUO:
		return func() int64 { return a() / b() }
	case token.REM:
		return func() int64 { return a() % b() }
	case token.AND:
		return func() int64 { return a() & b() }
	case token.OR:
		return func() int64 { return a() | b() }
	case token.XOR:
		return func() int64 { return a() ^ b() }
	case token.AND_NOT:
		return func() int64 { return a() &^ b() }
	}
	return nil
}

func arithFloat(op token.Token, a func() float64, y expr) func() float64 {
	if y.konst {
		if f := arithConst(op, a, y.f()); f != nil {
			return f
		}
	}
	b := y.f
	switch op {
	case token.ADD:
		return func() float64 { return a() + b() }
	case token.SUB:
		return func() float64 { return a() - b() }
	case token.MUL:
		return func() float64 { return a() * b() }
	case token.QUO:
		return func() float64 { return a() / b() }
	}
	return nil
}

// arithConst is a op c, c a constant, for the operators ints and floats
// share; nil for the others.
func arithConst[T int64 | float64](op token.Token, a func() T, c T) func() T {
	switch op {
	case token.ADD:
		return func() T { return a() + c }
	case token.SUB:
		return func() T { return a() - c }
	case token.MUL:
		return func() T { return a() * c }
	case token.QUO:
		return func() T { return a() / c }
	}
	return nil
}

// compare returns x op y for comparable kinds, or nil.
func compare(op token.Token, x, y expr) func() bool {
	switch {
	case x.k == kInt && y.konst:
		return orderedConst(op, x.i, y.i())
	case x.k == kFloat && y.konst:
		return orderedConst(op, x.f, y.f())
	case x.k == kStr && y.konst:
		return orderedConst(op, x.s, y.s())
	}
	switch x.k {
	case kInt:
		return ordered(op, x.i, y.i)
	case kFloat:
		return ordered(op, x.f, y.f)
	case kStr:
		return ordered(op, x.s, y.s)
	case kBool:
		a, b := x.b, y.b
		switch op {
		case token.EQL:
			return func() bool { return a() == b() }
		case token.NEQ:
			return func() bool { return a() != b() }
		}
	}
	return nil
}

func ordered[T int64 | float64 | string](op token.Token, a, b func() T) func() bool {
	switch op {
	case token.EQL:
		return func() bool { return a() == b() }
	case token.NEQ:
		return func() bool { return a() != b() }
	case token.LSS:
		return func() bool { return a() < b() }
	case token.LEQ:
		return func() bool { return a() <= b() }
	case token.GTR:
		return func() bool { return a() > b() }
	case token.GEQ:
		return func() bool { return a() >= b() }
	}
	return nil
}

// orderedConst is ordered with a constant right operand.
func orderedConst[T int64 | float64 | string](op token.Token, a func() T, c T) func() bool {
	switch op {
	case token.EQL:
		return func() bool { return a() == c }
	case token.NEQ:
		return func() bool { return a() != c }
	case token.LSS:
		return func() bool { return a() < c }
	case token.LEQ:
		return func() bool { return a() <= c }
	case token.GTR:
		return func() bool { return a() > c }
	case token.GEQ:
		return func() bool { return a() >= c }
	}
	return nil
}

// field compiles a Trace's exported field.
func (c *compiler) field(e *ast.SelectorExpr) (expr, error) {
	if _, ok := c.info.Uses[e.Sel].(*types.Var); !ok {
		return expr{}, c.fail(e, "a selector that is not a field")
	}
	x, err := c.expr(e.X)
	if err != nil {
		return expr{}, err
	}
	if x.k == kGroup {
		return c.groupField(e, x)
	}
	if x.k != kTrace {
		return expr{}, c.fail(e, "a field of %s", x.t)
	}
	t := x.tr
	out := expr{k: scalarKind(c.info.TypeOf(e)), t: c.info.TypeOf(e)}
	switch e.Sel.Name {
	case "Name":
		out.s = func() string { return t().Name }
	case "Hostname":
		out.s = func() string { return t().Hostname }
	case "Title":
		out.s = func() string { return t().Title }
	case "PID":
		out.i = func() int64 { return int64(t().PID) }
	case "Time":
		out.tm = func() time.Time { return t().Time }
	default:
		return expr{}, c.fail(e, "the field %s", e.Sel.Name)
	}
	return out, nil
}
