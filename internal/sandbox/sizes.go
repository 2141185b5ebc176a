package sandbox

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"

	"github.com/jstrace-go/jstrace/internal/sandbox/guard"
)

// sizes bounds the memory a type or a composite literal of the script can
// make the process allocate at once, the way guard bounds make: an array of
// 1<<40 bytes, declared, made with new or written as a literal, would kill
// the process. Sizes are computed from the file's own declarations; types
// of other packages count as 64 bytes.
type sizes struct {
	types  map[string]ast.Expr // the file's type declarations
	consts map[string]ast.Expr // the file's constants with explicit values
	busy   map[string]bool     // types being sized (recursion through pointers is fine, through values not)
}

func newSizes(f *ast.File) *sizes {
	s := &sizes{types: map[string]ast.Expr{}, consts: map[string]ast.Expr{}, busy: map[string]bool{}}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.TypeSpec:
			s.types[n.Name.Name] = n.Type
		case *ast.ValueSpec:
			for i, name := range n.Names {
				if i < len(n.Values) {
					s.consts[name.Name] = n.Values[i]
				}
			}
		}
		return true
	})
	return s
}

// check reports the array and struct types, and the keyed array literals,
// that exceed guard.MaxAlloc.
func (s *sizes) check(c *checker, f *ast.File) {
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ArrayType:
			if n.Len == nil {
				return true
			}
			if _, ok := n.Len.(*ast.Ellipsis); ok {
				return true
			}
			if size, err := s.size(n); err != nil {
				c.errorf(n.Pos(), "%v", err)
				return false
			} else if size > guard.MaxAlloc {
				c.errorf(n.Pos(), "an array type of %d bytes exceeds the scripts' limit of %d MiB", size, guard.MaxAlloc>>20)
				return false
			}
		case *ast.StructType:
			if size, err := s.size(n); err == nil && size > guard.MaxAlloc {
				c.errorf(n.Pos(), "a struct type of %d bytes exceeds the scripts' limit of %d MiB", size, guard.MaxAlloc>>20)
				return false
			}
		case *ast.CompositeLit:
			s.checkKeys(c, n)
		}
		return true
	})
}

// checkKeys bounds the indexes of a keyed array or slice literal:
// []byte{1 << 40: 1} allocates a terabyte.
func (s *sizes) checkKeys(c *checker, lit *ast.CompositeLit) {
	at, ok := lit.Type.(*ast.ArrayType)
	if !ok {
		return
	}
	elem, err := s.size(at.Elt)
	if err != nil {
		elem = 1
	}
	for _, e := range lit.Elts {
		kv, ok := e.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		k, ok := s.eval(kv.Key, 0)
		if !ok {
			continue // not a constant: yaegi refuses it
		}
		if idx, exact := constant.Int64Val(k); !exact || idx > guard.MaxAlloc/max(elem, 1) {
			c.errorf(kv.Key.Pos(), "a literal with index %s exceeds the scripts' limit of %d MiB", k, guard.MaxAlloc>>20)
		}
	}
}

var basicSizes = map[string]int64{
	"bool": 1, "int8": 1, "uint8": 1, "byte": 1,
	"int16": 2, "uint16": 2,
	"int32": 4, "uint32": 4, "rune": 4, "float32": 4,
	"int": 8, "uint": 8, "int64": 8, "uint64": 8, "uintptr": 8, "float64": 8, "complex64": 8,
	"complex128": 16, "string": 16, "error": 16, "any": 16,
}

// size returns the size in bytes of a type expression, saturating far
// above the limit instead of overflowing.
func (s *sizes) size(t ast.Expr) (int64, error) {
	const huge = 1 << 62
	switch t := t.(type) {
	case *ast.Ident:
		if n, ok := basicSizes[t.Name]; ok {
			return n, nil
		}
		decl, ok := s.types[t.Name]
		if !ok || s.busy[t.Name] {
			return 8, nil
		}
		s.busy[t.Name] = true
		defer delete(s.busy, t.Name)
		return s.size(decl)
	case *ast.ParenExpr:
		return s.size(t.X)
	case *ast.StarExpr, *ast.MapType, *ast.ChanType, *ast.FuncType:
		return 8, nil
	case *ast.InterfaceType:
		return 16, nil
	case *ast.ArrayType:
		if t.Len == nil {
			return 24, nil
		}
		if _, ok := t.Len.(*ast.Ellipsis); ok {
			return 24, nil // sized by its literal, which the source size bounds
		}
		v, ok := s.eval(t.Len, 0)
		if !ok {
			return 0, fmt.Errorf("jstrace cannot tell the size of this array: write its length as a constant expression of literals and the script's own constants")
		}
		n, exact := constant.Int64Val(v)
		if !exact || n < 0 {
			return huge, nil
		}
		elem, err := s.size(t.Elt)
		if err != nil {
			return 0, err
		}
		if elem > 0 && n > huge/elem {
			return huge, nil
		}
		return n * elem, nil
	case *ast.StructType:
		var total int64
		for _, f := range t.Fields.List {
			size, err := s.size(f.Type)
			if err != nil {
				return 0, err
			}
			total = min(total+size*int64(max(len(f.Names), 1)), huge)
		}
		return total, nil
	}
	return 64, nil // another package's type, a generic instance
}

// eval evaluates a constant integer expression of literals and the file's
// constants.
func (s *sizes) eval(e ast.Expr, depth int) (constant.Value, bool) {
	if depth > 32 {
		return nil, false
	}
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.INT && e.Kind != token.CHAR {
			return nil, false
		}
		v := constant.MakeFromLiteral(e.Value, e.Kind, 0)
		return v, v.Kind() != constant.Unknown
	case *ast.ParenExpr:
		return s.eval(e.X, depth+1)
	case *ast.Ident:
		if x, ok := s.consts[e.Name]; ok {
			return s.eval(x, depth+1)
		}
	case *ast.UnaryExpr:
		x, ok := s.eval(e.X, depth+1)
		if !ok || (e.Op != token.SUB && e.Op != token.ADD && e.Op != token.XOR) {
			return nil, false
		}
		return constant.UnaryOp(e.Op, x, 0), true
	case *ast.BinaryExpr:
		x, ok1 := s.eval(e.X, depth+1)
		y, ok2 := s.eval(e.Y, depth+1)
		if !ok1 || !ok2 {
			return nil, false
		}
		switch e.Op {
		case token.SHL, token.SHR:
			n, ok := constant.Uint64Val(y)
			if !ok || n > 128 {
				return nil, false
			}
			return constant.Shift(x, e.Op, uint(n)), true
		case token.ADD, token.SUB, token.MUL, token.AND, token.OR, token.XOR, token.AND_NOT, token.REM:
			return constant.BinaryOp(x, e.Op, y), true
		case token.QUO:
			if constant.Sign(y) == 0 {
				return nil, false
			}
			return constant.BinaryOp(x, token.QUO_ASSIGN, y), true
		}
	case *ast.CallExpr: // conversions such as int64(1) << 40
		if id, ok := e.Fun.(*ast.Ident); ok && len(e.Args) == 1 {
			if _, basic := basicSizes[id.Name]; basic {
				return s.eval(e.Args[0], depth+1)
			}
		}
	}
	return nil, false
}
