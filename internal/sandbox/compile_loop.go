package sandbox

import (
	"go/ast"
	"go/token"
	"go/types"
	"reflect"
	"slices"
	"time"
	"unsafe"

	"github.com/jstrace-go/jstrace/script"
)

// Loops, compiled in Every callbacks: for with a condition or none, and
// range over an Aggregation's Take or Snapshot, or over a shared array,
// slice or map of the compiled kinds; break and continue without a label.
// Each iteration first checks the Halt switch, so that a killed script's
// compiled loop stops as an interpreted one does (the engine's watchdog
// kills a callback that runs past its budget; once the interpreter is
// released, throwing the switch is all a kill does). Handlers are not
// compiled with loops: a handler with one is not bounded (inline.go), and
// runs interpreted on the script's goroutine.

// A loop is the loop whose body is being compiled: where its break and
// continue statements say which they are.
type loop struct {
	ctl      *uint8 // ctlBreak or ctlContinue while one unwinds the body
	switches int    // switches between the loop and the statement: a break there is theirs
}

const (
	ctlBreak uint8 = 1 + iota
	ctlContinue
)

// body compiles a loop's body: the returned function runs it once and
// reports whether the loop ends (a break: ret false; a return: ret
// true).
func (c *compiler) body(b *ast.BlockStmt) (func() (end, ret bool), error) {
	outer := c.loop
	c.loop = &loop{ctl: new(uint8)}
	defer func() { c.loop = outer }()
	run, err := c.block(b.List)
	if err != nil {
		return nil, err
	}
	ctl := c.loop.ctl
	return func() (bool, bool) {
		if !run() {
			return false, false
		}
		switch *ctl {
		case ctlBreak:
			*ctl = 0
			return true, false
		case ctlContinue:
			*ctl = 0
			return false, false
		}
		return true, true
	}, nil
}

// branch compiles break and continue: each unwinds the loop's body as a
// return does, and the loop reads which it was.
func (c *compiler) branch(s *ast.BranchStmt) (stmt, error) {
	switch {
	case s.Label != nil:
		return nil, c.fail(s, "a labeled %s", s.Tok)
	case c.loop == nil:
		return nil, c.fail(s, "%s", s.Tok)
	case s.Tok == token.BREAK && c.loop.switches > 0:
		return nil, c.fail(s, "a break out of a switch")
	}
	ctl, v := c.loop.ctl, ctlContinue
	switch s.Tok {
	case token.BREAK:
		v = ctlBreak
	case token.CONTINUE:
	default:
		return nil, c.fail(s, "%s", s.Tok)
	}
	return func() bool { *ctl = v; return true }, nil
}

func (c *compiler) forStmt(s *ast.ForStmt) (stmt, error) {
	init, err := c.initStmt(s.Init)
	if err != nil {
		return nil, err
	}
	cond := func() bool { return true }
	if s.Cond != nil {
		x, err := c.expr(s.Cond)
		if err != nil {
			return nil, err
		}
		cond = x.b
	}
	post, err := c.initStmt(s.Post)
	if err != nil {
		return nil, err
	}
	body, err := c.body(s.Body)
	if err != nil {
		return nil, err
	}
	halted := c.spec.halted()
	return func() bool {
		if init != nil {
			init()
		}
		for {
			halted()
			if !cond() {
				return false
			}
			if end, ret := body(); end {
				return ret
			}
			if post != nil {
				post()
			}
		}
	}, nil
}

// rangeStmt compiles a range that declares its variables (or has none)
// over what ranged knows.
func (c *compiler) rangeStmt(s *ast.RangeStmt) (stmt, error) {
	if s.Tok == token.ASSIGN {
		return nil, c.fail(s, "a range assigning to variables")
	}
	over, err := c.ranged(s.X)
	if err != nil {
		return nil, err
	}
	var kv [2]*cell
	for i, e := range []ast.Expr{s.Key, s.Value} {
		id, _ := e.(*ast.Ident)
		if id == nil || id.Name == "_" {
			continue
		}
		v, ok := c.info.Defs[id].(*types.Var)
		if !ok {
			return nil, c.fail(id, "a range variable %s", id.Name)
		}
		// The interpreter counts with the key variable itself: a body
		// that sets it skips elements there, not in Go.
		if i == 0 && c.assigns(s.Body, v) {
			return nil, c.fail(id, "a range whose body sets its key %s", id.Name)
		}
		if kv[i], err = c.local(id, v); err != nil {
			return nil, err
		}
	}
	body, err := c.body(s.Body)
	if err != nil {
		return nil, err
	}
	halted := c.spec.halted()
	var k, v unsafe.Pointer // the storage alone: a cell's type would keep the check's types
	if kv[0] != nil {
		k = kv[0].p
	}
	if kv[1] != nil {
		v = kv[1].p
	}
	each := over(k, v)
	return func() bool {
		ret := false
		each(func() bool {
			halted()
			end, r := body()
			ret = r
			return !end
		})
		return ret
	}, nil
}

// A ranger is a compiled range expression: given where the key's and the
// value's variables are (nil for none), it returns the loop, which evaluates
// the expression once, sets the variables and calls step for each
// element until step returns false.
type ranger func(k, v unsafe.Pointer) func(step func() bool)

// ranged compiles what a range ranges over: an Aggregation's Take() or
// Snapshot(), or a shared array, slice or map.
func (c *compiler) ranged(e ast.Expr) (ranger, error) {
	if call, ok := ast.Unparen(e).(*ast.CallExpr); ok {
		return c.rangeGroups(call)
	}
	id, ok := ast.Unparen(e).(*ast.Ident)
	if !ok {
		return nil, c.fail(e, "a range over an expression")
	}
	v, ok := c.info.Uses[id].(*types.Var)
	if !ok {
		return nil, c.fail(e, "a range over %s", id.Name)
	}
	cl, err := c.variable(id, v)
	if err != nil {
		return nil, err
	}
	switch t := cl.typ.Underlying().(type) {
	case *types.Array:
		return c.rangeSeq(e, t.Elem(), int(t.Len()), cl)
	case *types.Slice:
		return c.rangeSeq(e, t.Elem(), -1, cl)
	case *types.Map:
		if r := rangeMap(goType(t.Key()), goType(t.Elem()), cl.p); r != nil {
			return r, nil
		}
	}
	return nil, c.fail(e, "a range over %s", cl.typ)
}

// rangeGroups compiles a range over agg.Take() or agg.Snapshot().
func (c *compiler) rangeGroups(call *ast.CallExpr) (ranger, error) {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok || len(call.Args) != 0 || sel.Sel.Name != "Take" && sel.Sel.Name != "Snapshot" {
		return nil, c.fail(call, "a range over a call")
	}
	a, err := c.expr(sel.X)
	if err != nil {
		return nil, err
	}
	if a.k != kAgg {
		return nil, c.fail(call, "a range over a call of %s's %s", a.t, sel.Sel.Name)
	}
	agg, take, halted := a.o.(func() *script.Aggregation), sel.Sel.Name == "Take", c.spec.halted()
	list := func() []script.Group {
		halted()
		if take {
			return agg().Take()
		}
		return agg().Snapshot()
	}
	return func(k, v unsafe.Pointer) func(func() bool) {
		return func(step func() bool) {
			if v != nil { // keep no group's keys and buckets till the next call
				defer func() { *(*script.Group)(v) = script.Group{} }()
			}
			for i, g := range list() {
				setInt(k, i)
				if v != nil {
					*(*script.Group)(v) = g
				}
				if !step() {
					return
				}
			}
		}
	}, nil
}

// rangeSeq compiles a range over a shared array of n elements, or a
// slice (n < 0), at cl.
func (c *compiler) rangeSeq(e ast.Expr, elem types.Type, n int, cl *cell) (ranger, error) {
	switch scalarKind(elem) {
	case kInt: // int, int64 and time.Duration have one layout
		return seqRanger[int64](cl.p, n), nil
	case kFloat:
		return seqRanger[float64](cl.p, n), nil
	case kStr:
		return seqRanger[string](cl.p, n), nil
	case kBool:
		return seqRanger[bool](cl.p, n), nil
	}
	return nil, c.fail(e, "a range over %s", cl.typ)
}

// seqRanger ranges over the array of n E at p, or the slice of E at p (n
// < 0). As in Go, a range over an array with a value variable ranges over
// a copy of it, made as the loop starts (in scratch: the loop cannot run
// twice at once, its script having no recursion and its callbacks
// running one at a time); over a slice, over the elements the slice had
// as the loop started.
func seqRanger[E any](p unsafe.Pointer, n int) ranger {
	var scratch []E
	if n >= 0 {
		scratch = make([]E, n)
	}
	return func(k, v unsafe.Pointer) func(func() bool) {
		return func(step func() bool) {
			var elems []E
			switch {
			case n < 0:
				elems = *(*[]E)(p)
			case v != nil:
				elems = scratch
				copy(elems, unsafe.Slice((*E)(p), n))
			default:
				elems = unsafe.Slice((*E)(p), n)
			}
			for i := range elems {
				setInt(k, i)
				if v != nil {
					*(*E)(v) = elems[i]
				}
				if !step() {
					return
				}
			}
		}
	}
}

// setInt sets the int variable at k, if any, to i.
func setInt(k unsafe.Pointer, i int) {
	if k != nil {
		*(*int64)(k) = int64(i)
	}
}

// rangeMap ranges over the shared map at p, of Go type map[kt]vt; nil for
// the types it does not know.
func rangeMap(kt, vt reflect.Type, p unsafe.Pointer) ranger {
	switch kt {
	case reflect.TypeFor[int]():
		return mapRangerOf[int](vt, p)
	case reflect.TypeFor[string]():
		return mapRangerOf[string](vt, p)
	}
	return nil
}

func mapRangerOf[K int | string](vt reflect.Type, p unsafe.Pointer) ranger {
	switch vt {
	case reflect.TypeFor[int]():
		return mapRanger[K, int](p)
	case reflect.TypeFor[int64]():
		return mapRanger[K, int64](p)
	case reflect.TypeFor[time.Duration]():
		return mapRanger[K, time.Duration](p)
	case reflect.TypeFor[float64]():
		return mapRanger[K, float64](p)
	case reflect.TypeFor[string]():
		return mapRanger[K, string](p)
	case reflect.TypeFor[bool]():
		return mapRanger[K, bool](p)
	}
	return nil
}

// mapRanger ranges over the map[K]V at p with Go's own range: the
// variables' cells hold a K and a V in the same layout (an int64 for an
// int, an int64 or a Duration).
func mapRanger[K int | string, V any](p unsafe.Pointer) ranger {
	m := (*map[K]V)(p)
	return func(k, v unsafe.Pointer) func(func() bool) {
		return func(step func() bool) {
			for key, val := range *m {
				if k != nil {
					*(*K)(k) = key
				}
				if v != nil {
					*(*V)(v) = val
				}
				if !step() {
					return
				}
			}
		}
	}
}

// assigns reports whether body sets v: assigns to it, increments or
// decrements it.
func (c *compiler) assigns(body ast.Node, v *types.Var) bool {
	found := false
	is := func(e ast.Expr) bool {
		id, ok := ast.Unparen(e).(*ast.Ident)
		return ok && (c.info.Uses[id] == v || c.info.Defs[id] == v)
	}
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			found = found || slices.ContainsFunc(n.Lhs, is)
		case *ast.IncDecStmt:
			found = found || is(n.X)
		}
		return !found
	})
	return found
}
