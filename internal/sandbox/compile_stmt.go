package sandbox

import (
	"go/ast"
	"go/token"
	"go/types"
)

// A stmt runs a compiled statement and reports whether it returned.
type stmt func() bool

func (c *compiler) block(list []ast.Stmt) (stmt, error) {
	ss := make([]stmt, 0, len(list))
	var sites []*site // each statement's, nil for a nested block's (its own say)
	for _, s := range list {
		cs, err := c.stmt(s)
		if err != nil {
			return nil, err
		}
		if cs == nil {
			continue
		}
		var at *site
		if _, nested := s.(*ast.BlockStmt); !nested && s.Pos().IsValid() {
			at = &site{pos: s.Pos(), fn: c.fnName}
		}
		ss, sites = append(ss, cs), append(sites, at)
	}
	// The block notes where it is before each statement (a panic's trail),
	// in its own loop: no closure more a statement.
	cur := c.cur
	switch len(ss) {
	case 0:
		return func() bool { return false }, nil
	case 1:
		a, at := ss[0], sites[0]
		if at == nil {
			return a, nil
		}
		return func() bool { *cur = at; return a() }, nil
	case 2:
		a, b, aAt, bAt := ss[0], ss[1], sites[0], sites[1]
		return func() bool {
			if aAt != nil {
				*cur = aAt
			}
			if a() {
				return true
			}
			if bAt != nil {
				*cur = bAt
			}
			return b()
		}, nil
	}
	return func() bool {
		for i, s := range ss {
			if at := sites[i]; at != nil {
				*cur = at
			}
			if s() {
				return true
			}
		}
		return false
	}, nil
}

// stmt compiles s; nil for a statement that does nothing.
func (c *compiler) stmt(s ast.Stmt) (stmt, error) {
	switch s := s.(type) {
	case *ast.EmptyStmt:
		return nil, nil
	case *compiledStmt:
		return s.run, nil
	case *ast.BlockStmt:
		return c.block(s.List)
	case *ast.ExprStmt:
		call, ok := ast.Unparen(s.X).(*ast.CallExpr)
		if !ok {
			return nil, c.fail(s, "an expression statement")
		}
		x, _, err := c.call(call)
		if err != nil {
			return nil, err
		}
		run := x.run()
		return func() bool { run(); return false }, nil
	case *ast.IncDecStmt:
		op := token.ADD
		if s.Tok == token.DEC {
			op = token.SUB
		}
		return c.opAssign(s, s.X, op, nil)
	case *ast.AssignStmt:
		return c.assign(s)
	case *ast.DeclStmt:
		return c.varDecl(s)
	case *ast.IfStmt:
		return c.ifStmt(s)
	case *ast.SwitchStmt:
		return c.switchStmt(s)
	case *ast.ReturnStmt:
		return c.returnStmt(s)
	case *ast.ForStmt:
		return c.forStmt(s)
	case *ast.RangeStmt:
		return c.rangeStmt(s)
	case *ast.BranchStmt:
		return c.branch(s)
	}
	return nil, c.fail(s, "%s", construct(s))
}

// run returns a function that evaluates x for its effects.
func (x expr) run() func() {
	switch {
	case x.do != nil:
		return x.do
	case x.i != nil:
		f := x.i
		return func() { f() }
	case x.f != nil:
		f := x.f
		return func() { f() }
	case x.s != nil:
		f := x.s
		return func() { f() }
	case x.b != nil:
		f := x.b
		return func() { f() }
	}
	if ops, f := opsFor(x); f != nil {
		return ops.run(f)
	}
	return func() {}
}

// initStmt compiles an if's or a switch's init statement; nil if none.
func (c *compiler) initStmt(s ast.Stmt) (stmt, error) {
	if s == nil {
		return nil, nil
	}
	return c.stmt(s)
}

func (c *compiler) ifStmt(s *ast.IfStmt) (stmt, error) {
	init, err := c.initStmt(s.Init)
	if err != nil {
		return nil, err
	}
	cond, err := c.expr(s.Cond)
	if err != nil {
		return nil, err
	}
	then, err := c.block(s.Body.List)
	if err != nil {
		return nil, err
	}
	els := func() bool { return false }
	if s.Else != nil {
		if els, err = c.stmt(s.Else); err != nil {
			return nil, err
		}
	}
	b := cond.b
	if init == nil {
		return func() bool {
			if b() {
				return then()
			}
			return els()
		}, nil
	}
	return func() bool {
		init()
		if b() {
			return then()
		}
		return els()
	}, nil
}

// switchStmt compiles a switch as the chain of ifs it is: the tag (if
// any) evaluated once, each case's expressions in order until one
// matches, then its body; default if none did. No fallthrough.
func (c *compiler) switchStmt(s *ast.SwitchStmt) (stmt, error) {
	init, err := c.initStmt(s.Init)
	if err != nil {
		return nil, err
	}
	var tag *cell // holds the tag's value for the cases to compare with
	var setTag func(key)
	if s.Tag != nil {
		x, err := c.expr(s.Tag)
		if err != nil {
			return nil, err
		}
		if x.k != kInt && x.k != kStr && x.k != kBool && x.k != kFloat {
			return nil, c.fail(s.Tag, "a switch on %s", x.t)
		}
		tag = newCell(x.t, x.k)
		setTag = store(varPlace(tag), x)
	}
	type arm struct {
		conds []func() bool
		body  stmt
	}
	var arms []arm
	var dflt stmt
	for _, cl := range s.Body.List {
		cc := cl.(*ast.CaseClause)
		for _, st := range cc.Body {
			if br, ok := st.(*ast.BranchStmt); ok && br.Tok == token.FALLTHROUGH {
				return nil, c.fail(br, "fallthrough")
			}
		}
		body, err := c.caseBody(cc.Body)
		if err != nil {
			return nil, err
		}
		if cc.List == nil {
			dflt = body
			continue
		}
		a := arm{body: body}
		for _, e := range cc.List {
			x, err := c.expr(e)
			if err != nil {
				return nil, err
			}
			if tag == nil {
				if x.k != kBool {
					return nil, c.fail(e, "a case of %s", x.t)
				}
				a.conds = append(a.conds, x.b)
				continue
			}
			if x.k != tag.k {
				return nil, c.fail(e, "a case of %s", x.t)
			}
			a.conds = append(a.conds, compare(token.EQL, load(tag), x))
		}
		arms = append(arms, a)
	}
	return func() bool {
		if init != nil {
			init()
		}
		if setTag != nil {
			setTag(key{})
		}
		for _, a := range arms {
			for _, cond := range a.conds {
				if cond() {
					return a.body()
				}
			}
		}
		if dflt != nil {
			return dflt()
		}
		return false
	}, nil
}

// caseBody compiles a switch's case: a break in it would be the
// switch's.
func (c *compiler) caseBody(list []ast.Stmt) (stmt, error) {
	if c.loop != nil {
		c.loop.switches++
		defer func() { c.loop.switches-- }()
	}
	return c.block(list)
}

func (c *compiler) returnStmt(s *ast.ReturnStmt) (stmt, error) {
	res := c.fn.result
	switch {
	case len(s.Results) == 0:
		return func() bool { return true }, nil
	case len(s.Results) == 1 && res != nil:
		x, err := c.expr(s.Results[0])
		if err != nil {
			return nil, err
		}
		set := store(varPlace(res), x)
		return func() bool { set(key{}); return true }, nil
	}
	return nil, c.fail(s, "a return of %d values", len(s.Results))
}

// store returns the store of x into p at a key.
func store(p place, x expr) func(key) {
	switch p.k {
	case kInt:
		s, f := p.si, x.i
		return func(k key) { s(k, f()) }
	case kFloat:
		s, f := p.sf, x.f
		return func(k key) { s(k, f()) }
	case kStr:
		s, f := p.ss, x.s
		return func(k key) { s(k, f()) }
	case kBool:
		s, f := p.sb, x.b
		return func(k key) { s(k, f()) }
	}
	st := p.so(x)
	return func(key) { st() }
}

// target compiles the left-hand side of an assignment or definition: a
// new local (def), a place, or nil for the blank identifier.
func (c *compiler) target(e ast.Expr, def bool) (*place, error) {
	if id, ok := e.(*ast.Ident); ok {
		if id.Name == "_" {
			return nil, nil
		}
		if v, ok := c.info.Defs[id].(*types.Var); ok && def {
			cl, err := c.local(id, v)
			if err != nil {
				return nil, err
			}
			p := varPlace(cl)
			return &p, nil
		}
	}
	p, err := c.place(e)
	return &p, err
}

func (c *compiler) assign(s *ast.AssignStmt) (stmt, error) {
	switch s.Tok {
	case token.ASSIGN, token.DEFINE:
	default:
		op, ok := assignOps[s.Tok]
		if !ok || len(s.Lhs) != 1 || len(s.Rhs) != 1 {
			return nil, c.fail(s, "the assignment %s", s.Tok)
		}
		return c.opAssign(s, s.Lhs[0], op, s.Rhs[0])
	}
	if len(s.Rhs) == 1 && len(s.Lhs) > 1 {
		return c.tupleAssign(s)
	}
	if len(s.Lhs) != len(s.Rhs) {
		return nil, c.fail(s, "an assignment of a call's several results")
	}
	// Right-hand sides are compiled before the new variables exist:
	// x := x + 1 reads an outer x.
	xs := make([]expr, len(s.Rhs))
	for i, r := range s.Rhs {
		x, err := c.expr(r)
		if err != nil {
			return nil, err
		}
		xs[i] = x
	}
	ps := make([]*place, len(s.Lhs))
	for i, l := range s.Lhs {
		p, err := c.target(l, s.Tok == token.DEFINE)
		if err != nil {
			return nil, err
		}
		ps[i] = p
	}
	if len(xs) == 1 {
		if ps[0] == nil {
			run := xs[0].run()
			return func() bool { run(); return false }, nil
		}
		ix, set := ps[0].index, store(*ps[0], xs[0])
		if ix == nil {
			return func() bool { set(key{}); return false }, nil
		}
		return func() bool { set(ix()); return false }, nil
	}
	// a, b = b, a: the values first, then the stores. Only to variables:
	// Go checks every index before it stores anything (and the
	// interpreter drops a map element's store here).
	for i, p := range ps {
		if p != nil && p.index != nil {
			return nil, c.fail(s.Lhs[i], "an element among several assignments")
		}
	}
	eval := make([]func(), len(xs))
	var sets []func(key)
	for i, x := range xs {
		if ps[i] == nil {
			eval[i] = x.run()
			continue
		}
		tmp := newCell(x.t, x.k)
		set := store(varPlace(tmp), x)
		eval[i] = func() { set(key{}) }
		sets = append(sets, store(*ps[i], load(tmp)))
	}
	return func() bool {
		for _, e := range eval {
			e()
		}
		for _, set := range sets {
			set(key{})
		}
		return false
	}, nil
}

var assignOps = map[token.Token]token.Token{
	token.ADD_ASSIGN: token.ADD, token.SUB_ASSIGN: token.SUB, token.MUL_ASSIGN: token.MUL,
	token.QUO_ASSIGN: token.QUO, token.REM_ASSIGN: token.REM, token.AND_ASSIGN: token.AND,
	token.OR_ASSIGN: token.OR, token.XOR_ASSIGN: token.XOR, token.AND_NOT_ASSIGN: token.AND_NOT,
}

// opAssign compiles lhs op= rhs (rhs nil: ++ or --), evaluating lhs's
// index once.
func (c *compiler) opAssign(n ast.Node, lhs ast.Expr, op token.Token, rhs ast.Expr) (stmt, error) {
	p, err := c.place(lhs)
	if err != nil {
		return nil, err
	}
	var y expr
	if rhs == nil {
		y = expr{k: p.k, t: p.t, i: func() int64 { return 1 }, f: func() float64 { return 1 }, konst: true}
	} else if y, err = c.expr(rhs); err != nil {
		return nil, err
	}
	if s := addInPlace(p, op, y); s != nil {
		return s, nil
	}
	ix := p.index
	if ix == nil {
		ix = func() key { return key{} }
	}
	switch p.k {
	case kInt:
		var cur key
		l, s := p.li, p.si
		f := arithInt(op, func() int64 { return l(cur) }, y)
		if f != nil {
			return func() bool { cur = ix(); s(cur, f()); return false }, nil
		}
	case kFloat:
		var cur key
		l, s := p.lf, p.sf
		f := arithFloat(op, func() float64 { return l(cur) }, y)
		if f != nil {
			return func() bool { cur = ix(); s(cur, f()); return false }, nil
		}
	case kStr:
		if op == token.ADD {
			l, s, g := p.ls, p.ss, y.s
			return func() bool { k := ix(); s(k, l(k)+g()); return false }, nil
		}
	}
	return nil, c.fail(n, "the operator %s= on %s", op, p.t)
}

// addInPlace returns x += y or x -= y (x++, x--) for a number variable x
// as one closure that adds to its memory, rather than the place's load
// and store around the arithmetic's closure: the commonest statements of
// handlers (n++, total += t.Dur("duration")). nil for the others.
func addInPlace(p place, op token.Token, y expr) stmt {
	sub := op == token.SUB
	if op != token.ADD && !sub {
		return nil
	}
	switch {
	case p.vi != nil:
		v := p.vi
		switch {
		case y.konst:
			c := y.i()
			if sub {
				c = -c // wraps for the least int64 as x - c does
			}
			return func() bool { *v += c; return false }
		case sub:
			g := y.i
			return func() bool { *v -= g(); return false }
		default:
			g := y.i
			return func() bool { *v += g(); return false }
		}
	case p.vf != nil:
		v, g := p.vf, y.f
		if sub {
			return func() bool { *v -= g(); return false }
		}
		return func() bool { *v += g(); return false }
	}
	return nil
}

// varDecl compiles var declarations of locals.
func (c *compiler) varDecl(s *ast.DeclStmt) (stmt, error) {
	gd, ok := s.Decl.(*ast.GenDecl)
	if !ok || gd.Tok != token.VAR {
		if ok && (gd.Tok == token.CONST) {
			return nil, nil // constants are folded where used
		}
		return nil, c.fail(s, "a declaration in a handler")
	}
	var ss []ast.Stmt
	for _, spec := range gd.Specs {
		vs := spec.(*ast.ValueSpec)
		if len(vs.Values) != 0 && len(vs.Values) != len(vs.Names) {
			return nil, c.fail(vs, "a declaration of a call's several results")
		}
		for i, name := range vs.Names {
			if len(vs.Values) > 0 {
				ss = append(ss, &ast.AssignStmt{Lhs: []ast.Expr{name}, Tok: token.DEFINE, Rhs: []ast.Expr{vs.Values[i]}})
				continue
			}
			v, ok := c.info.Defs[name].(*types.Var)
			if !ok {
				continue
			}
			cl, err := c.local(name, v)
			if err != nil {
				return nil, err
			}
			ss = append(ss, &compiledStmt{run: zeroOf(cl)})
		}
	}
	return c.block(ss)
}

// compiledStmt carries an already compiled statement through block.
type compiledStmt struct {
	ast.EmptyStmt
	run stmt
}

// zeroOf sets a local to its zero value, as a var declaration does each
// time it runs.
func zeroOf(cl *cell) stmt {
	switch cl.k {
	case kInt:
		p := (*int64)(cl.p)
		return func() bool { *p = 0; return false }
	case kFloat:
		p := (*float64)(cl.p)
		return func() bool { *p = 0; return false }
	case kStr:
		p := (*string)(cl.p)
		return func() bool { *p = ""; return false }
	case kBool:
		p := (*bool)(cl.p)
		return func() bool { *p = false; return false }
	}
	if ops := others[cl.k]; ops != nil {
		z := ops.zero
		p := cl.p
		return func() bool { z(p); return false }
	}
	return func() bool { return false }
}
