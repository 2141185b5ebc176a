package sandbox

import (
	"go/ast"
	"go/constant"
	"go/types"

	"github.com/jstrace-go/jstrace/internal/sandbox/guard"
)

// sizes bounds the memory one value of the script can make the process
// allocate at once, the way guard bounds make: an array of 1<<40 bytes,
// declared, made with new or written as a literal, would kill the process.
// Sizes come from go/types, so names resolve in their scopes and other
// packages' types have their real layouts. Inside generic code a type
// parameter counts as the largest type argument the script instantiates it
// with (transitively), so [1<<20]P is refused when P is ever [1<<20]byte.
type sizes struct {
	info   *types.Info
	memo   map[types.Type]int64
	args   map[*types.TypeParam][]types.Type // type arguments per parameter
	bounds map[*types.TypeParam]int64
	busy   map[types.Type]bool
}

// huge is where sizes saturate, far above any limit.
const huge = 1 << 62

func newSizes(f *ast.File, info *types.Info) *sizes {
	s := &sizes{info: info, memo: map[types.Type]int64{}, args: map[*types.TypeParam][]types.Type{},
		bounds: map[*types.TypeParam]int64{}, busy: map[types.Type]bool{}}
	for id, inst := range info.Instances {
		for i, p := range typeParams(info.Uses[id]) {
			if i < inst.TypeArgs.Len() {
				s.args[p] = append(s.args[p], inst.TypeArgs.At(i))
			}
		}
	}
	// A method's receiver type parameters stand for its type's.
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Recv == nil {
			continue
		}
		fn, ok := info.Defs[fd.Name].(*types.Func)
		if !ok {
			continue
		}
		sig := fn.Type().(*types.Signature)
		recv := sig.RecvTypeParams()
		if recv.Len() == 0 || sig.Recv() == nil {
			continue
		}
		t := sig.Recv().Type()
		if p, ok := t.(*types.Pointer); ok {
			t = p.Elem()
		}
		if n, ok := t.(*types.Named); ok {
			orig := n.Origin().TypeParams()
			for i := 0; i < recv.Len() && i < orig.Len(); i++ {
				s.args[recv.At(i)] = append(s.args[recv.At(i)], orig.At(i))
			}
		}
	}
	return s
}

// typeParams returns the type parameters of a generic function or type.
func typeParams(obj types.Object) []*types.TypeParam {
	var l *types.TypeParamList
	switch obj := obj.(type) {
	case *types.Func:
		l = obj.Type().(*types.Signature).TypeParams()
	case *types.TypeName:
		if n, ok := obj.Type().(*types.Named); ok {
			l = n.TypeParams()
		}
	}
	ps := make([]*types.TypeParam, l.Len())
	for i := range ps {
		ps[i] = l.At(i)
	}
	return ps
}

// check reports the types and values of f larger than guard.MaxAlloc:
// every type written in the script (declared, converted to, given to new,
// instantiated), every expression's value (variables, composite literals,
// results), and the backing array of slice literals.
func (s *sizes) check(c *checker, f *ast.File) {
	ast.Inspect(f, func(n ast.Node) bool {
		e, ok := n.(ast.Expr)
		if !ok {
			return true
		}
		tv, ok := s.info.Types[e]
		if !ok || tv.Type == nil {
			return true
		}
		if size := s.size(tv.Type); size > guard.MaxAlloc {
			c.errorf(e.Pos(), "%s of %s exceeds the scripts' limit of %d MiB", describe(tv), byteCount(size), guard.MaxAlloc>>20)
			return false
		}
		if lit, ok := e.(*ast.CompositeLit); ok {
			return s.checkSlice(c, lit, tv.Type)
		}
		return true
	})
}

func describe(tv types.TypeAndValue) string {
	if !tv.IsType() {
		return "a value of type " + tv.Type.String()
	}
	switch tv.Type.Underlying().(type) {
	case *types.Array:
		return "an array type"
	case *types.Struct:
		return "a struct type"
	}
	return "type " + tv.Type.String()
}

func byteCount(n int64) string {
	if n >= huge {
		return "more than 4 EiB"
	}
	return constant.MakeInt64(n).String() + " bytes"
}

// checkSlice bounds the backing array of a slice literal: []byte{1 << 40:
// 1} allocates a terabyte.
func (s *sizes) checkSlice(c *checker, lit *ast.CompositeLit, t types.Type) bool {
	sl, ok := t.Underlying().(*types.Slice)
	if !ok {
		return true
	}
	elem := max(s.size(sl.Elem()), 1)
	var next, length int64
	for _, e := range lit.Elts {
		if kv, ok := e.(*ast.KeyValueExpr); ok {
			k := s.info.Types[kv.Key].Value
			idx, exact := int64(0), false
			if k != nil {
				idx, exact = constant.Int64Val(constant.ToInt(k))
			}
			if !exact || idx < 0 || idx >= guard.MaxAlloc/elem {
				c.errorf(kv.Key.Pos(), "a literal with index %v exceeds the scripts' limit of %d MiB", k, guard.MaxAlloc>>20)
				return false
			}
			next = idx
		}
		next++
		length = max(length, next)
	}
	if length > guard.MaxAlloc/elem {
		c.errorf(lit.Pos(), "a slice literal of %s exceeds the scripts' limit of %d MiB", byteCount(satMul(length, elem)), guard.MaxAlloc>>20)
		return false
	}
	return true
}

// size returns the size in bytes of a value of type t, saturating at huge.
// A struct counts its fields' sizes plus their worst-case padding.
func (s *sizes) size(t types.Type) int64 {
	switch t := t.(type) {
	case *types.TypeParam:
		return s.bound(t)
	case *types.Alias:
		return s.size(types.Unalias(t))
	case *types.Tuple:
		var n int64
		for i := range t.Len() {
			n = min(n+s.size(t.At(i).Type()), huge)
		}
		return n
	case *types.Basic:
		if t.Info()&types.IsUntyped != 0 || t.Kind() == types.Invalid {
			return 0
		}
		return gcSizes.Sizeof(t)
	case *types.Named, *types.Array, *types.Struct:
	default:
		return gcSizes.Sizeof(t)
	}
	if n, ok := s.memo[t]; ok {
		return n
	}
	if s.busy[t] {
		return huge // a cycle go/types would have refused
	}
	s.busy[t] = true
	defer delete(s.busy, t)
	var n int64
	switch t := t.(type) {
	case *types.Named:
		n = s.size(t.Underlying())
	case *types.Array:
		n = satMul(t.Len(), s.size(t.Elem()))
	case *types.Struct:
		for i := range t.NumFields() {
			n = min(n+s.size(t.Field(i).Type())+7, huge)
		}
	}
	s.memo[t] = n
	return n
}

// bound is the largest size a type parameter takes in the script.
func (s *sizes) bound(p *types.TypeParam) int64 {
	if n, ok := s.bounds[p]; ok {
		return n
	}
	s.bounds[p] = huge // while computing: an instantiation cycle
	var n int64 = 1
	for _, a := range s.args[p] {
		n = max(n, s.size(a))
	}
	s.bounds[p] = n
	return n
}

func satMul(a, b int64) int64 {
	if a < 0 || b < 0 {
		return huge
	}
	if a != 0 && b > huge/a {
		return huge
	}
	return a * b
}
