package sandbox

import (
	"go/ast"
)

// go/types checks each declared type for invalid recursion by walking every
// path through its fields, without memory of the types it has walked:
// type T1 struct{ a, b, c T0 } … T60 takes 3^60 steps. Before type checking,
// typePaths bounds those paths from above, without scopes (a name counts
// as the costliest type of that name declared anywhere in the file): types
// reached through pointers, slices, maps, channels and functions are not
// walked, an instance G[A] counts as G times A.
const maxTypePaths = 1 << 16

type typePaths struct {
	decls map[string][]ast.Expr // type declarations by name, whatever the scope
	names map[string]int64
}

// checkTypePaths reports the declaration or instance at which the paths of
// the script's types pass maxTypePaths.
func (c *checker) checkTypePaths(f *ast.File) {
	p := &typePaths{decls: map[string][]ast.Expr{}, names: map[string]int64{}}
	ast.Inspect(f, func(n ast.Node) bool {
		if ts, ok := n.(*ast.TypeSpec); ok {
			p.decls[ts.Name.Name] = append(p.decls[ts.Name.Name], ts.Type)
		}
		return true
	})
	var total int64
	ast.Inspect(f, func(n ast.Node) bool {
		var cost int64
		switch n := n.(type) {
		case *ast.TypeSpec:
			cost = p.expr(n.Type)
		case *ast.IndexExpr, *ast.IndexListExpr:
			if id, ok := ast.Unparen(indexBase(n.(ast.Expr))).(*ast.Ident); ok && p.decls[id.Name] != nil {
				cost = p.expr(n.(ast.Expr))
			}
		default:
			return total <= maxTypePaths
		}
		if total = min(total+cost, huge); total > maxTypePaths {
			c.errorf(n.Pos(), "the script's types nest into more than %d fields in all (counting each path through them)", maxTypePaths)
			return false
		}
		return true
	})
}

func indexBase(e ast.Expr) ast.Expr {
	switch e := e.(type) {
	case *ast.IndexExpr:
		return e.X
	case *ast.IndexListExpr:
		return e.X
	}
	return nil
}

// expr bounds the paths go/types walks through a type expression.
func (p *typePaths) expr(e ast.Expr) int64 {
	switch e := e.(type) {
	case *ast.Ident:
		return p.name(e.Name)
	case *ast.SelectorExpr:
		return 1 // another package's type: walked once per path, a fixed cost
	case *ast.ParenExpr:
		return p.expr(e.X)
	case *ast.ArrayType:
		if e.Len == nil {
			return 1 // a slice
		}
		return 1 + p.expr(e.Elt)
	case *ast.StructType:
		return 1 + p.fields(e.Fields)
	case *ast.InterfaceType:
		return 1 + p.fields(e.Methods)
	case *ast.IndexExpr:
		return satMul(p.expr(e.X), 1+p.expr(e.Index))
	case *ast.IndexListExpr:
		n := p.expr(e.X)
		for _, a := range e.Indices {
			n = satMul(n, 1+p.expr(a))
		}
		return n
	case *ast.BinaryExpr: // a union in a constraint
		return min(p.expr(e.X)+p.expr(e.Y), huge)
	case *ast.UnaryExpr: // ~T
		return p.expr(e.X)
	}
	return 1 // pointers, maps, channels, functions: not walked
}

func (p *typePaths) fields(l *ast.FieldList) int64 {
	var n int64
	for _, f := range l.List {
		if _, ok := f.Type.(*ast.FuncType); ok {
			continue // a method
		}
		n = min(n+satMul(int64(max(len(f.Names), 1)), p.expr(f.Type)), huge)
	}
	return n
}

func (p *typePaths) name(name string) int64 {
	if n, ok := p.names[name]; ok {
		return n
	}
	p.names[name] = 1 // a cycle: go/types stops there
	var n int64 = 1
	for _, e := range p.decls[name] {
		n = max(n, min(1+p.expr(e), huge))
	}
	p.names[name] = n
	return n
}
