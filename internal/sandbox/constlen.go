package sandbox

import (
	"go/ast"
	"go/constant"
	"go/token"
	"reflect"
	"sync"

	"github.com/jstrace-go/jstrace/internal/sandbox/symbols"
)

// Constant strings are the one kind of constant go/types does not bound:
// go/constant concatenates them lazily, and the checker (len, comparisons,
// conversions) and the interpreter then build them, so forty lines of
// const s1 = s0 + s0 ask for a terabyte. Before type checking, constLens
// bounds the length of every constant string expression from above,
// without scopes: a name counts as the longest constant of that name
// declared anywhere in the file, a selector as the longest string constant
// of the packages scripts can import.
const (
	// MaxConstString bounds one constant string expression, in bytes.
	MaxConstString = 1 << 20
	// maxConstConcat bounds the bytes of all the string concatenations of
	// a script together, each counted at its bound: what building every
	// one of them would copy.
	maxConstConcat = 16 << 20
)

type constLens struct {
	decls   map[string][]ast.Expr // constant values by name, whatever the scope
	names   map[string]int64
	exprs   map[ast.Expr]int64
	foreign int64
}

// checkConstLens reports the first expression whose constant string could
// exceed MaxConstString, or the concatenation at which the total passes
// maxConstConcat.
func (c *checker) checkConstLens(f *ast.File) {
	l := &constLens{decls: map[string][]ast.Expr{}, names: map[string]int64{}, exprs: map[ast.Expr]int64{}, foreign: max(foreignStrings(), c.pol.foreignStrings)}
	ast.Inspect(f, func(n ast.Node) bool {
		d, ok := n.(*ast.GenDecl)
		if !ok || d.Tok != token.CONST {
			return true
		}
		var values []ast.Expr
		for _, s := range d.Specs {
			vs := s.(*ast.ValueSpec)
			if len(vs.Values) > 0 {
				values = vs.Values // later specs without values repeat these
			}
			for i, name := range vs.Names {
				if i < len(values) {
					l.decls[name.Name] = append(l.decls[name.Name], values[i])
				}
			}
		}
		return true
	})
	var total int64
	done := false
	ast.Inspect(f, func(n ast.Node) bool {
		e, ok := n.(ast.Expr)
		if done || !ok {
			return !done
		}
		size := l.expr(e)
		if b, ok := e.(*ast.BinaryExpr); ok && size > 0 && b.Op == token.ADD {
			total = min(total+size, huge)
		}
		switch {
		case size > MaxConstString:
			c.errorf(e.Pos(), "this constant string could be longer than the scripts' limit of %d bytes", MaxConstString)
		case total > maxConstConcat:
			c.errorf(e.Pos(), "the script's constant strings could take more than %d bytes to build", maxConstConcat)
		default:
			return true
		}
		done = true
		return false
	})
}

// expr bounds the length of e if it is a constant string.
func (l *constLens) expr(e ast.Expr) int64 {
	if n, ok := l.exprs[e]; ok {
		return n
	}
	var n int64
	switch e := e.(type) {
	case *ast.BasicLit:
		n = int64(len(e.Value)) + 4 // string(rune) is 4 bytes at most
	case *ast.Ident:
		n = l.name(e.Name)
	case *ast.SelectorExpr:
		n = l.foreign
	case *ast.ParenExpr:
		n = l.expr(e.X)
	case *ast.UnaryExpr:
		n = l.expr(e.X)
	case *ast.BinaryExpr:
		n = min(l.expr(e.X)+l.expr(e.Y), huge)
	case *ast.CallExpr: // conversions, builtins
		for _, a := range e.Args {
			n = min(n+l.expr(a), huge)
		}
	}
	l.exprs[e] = n
	return n
}

func (l *constLens) name(name string) int64 {
	if n, ok := l.names[name]; ok {
		return n
	}
	l.names[name] = huge // a cycle through shadowed names: refused
	var n int64 = 4      // a variable, iota, a rune constant…
	for _, e := range l.decls[name] {
		n = max(n, l.expr(e))
	}
	l.names[name] = n
	return n
}

// foreignStrings is the length of the longest string constant of the
// allowlist.
var foreignStrings = sync.OnceValue(func() int64 {
	var n int64
	for _, syms := range symbols.Symbols {
		n = max(n, longestString(syms))
	}
	return n
})

func longestString(syms map[string]reflect.Value) int64 {
	var n int64
	for _, v := range syms {
		if !v.IsValid() {
			continue
		}
		if c := symbolConst(v); c != nil && c.Kind() == constant.String {
			n = max(n, int64(len(constant.StringVal(c))))
		}
	}
	return n
}
