package sandbox

import (
	"cmp"
	"go/ast"
	"go/constant"
	"go/types"
	"slices"

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
	memo   map[types.Type]layout
	args   map[*types.TypeParam][]types.Type // type arguments per parameter
	bounds map[*types.TypeParam]int64
	busy   map[types.Type]bool
}

// huge is where sizes saturate, far above any limit.
const huge = 1 << 62

func newSizes(f *ast.File, info *types.Info) *sizes {
	s := &sizes{info: info, memo: map[types.Type]layout{}, args: map[*types.TypeParam][]types.Type{},
		bounds: map[*types.TypeParam]int64{}, busy: map[types.Type]bool{}}
	// A method's receiver type parameters stand for its type's (and the
	// receiver's T[P] is no instance).
	recvParams := map[*types.TypeParam]bool{}
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
				recvParams[recv.At(i)] = true
			}
		}
	}
	for id, inst := range info.Instances {
		for i, p := range typeParams(info.Uses[id]) {
			if i >= inst.TypeArgs.Len() {
				break
			}
			if a, ok := inst.TypeArgs.At(i).(*types.TypeParam); ok && recvParams[a] {
				continue
			}
			s.args[p] = append(s.args[p], inst.TypeArgs.At(i))
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
	s.checkTotal(c)
	reported := map[types.Type]bool{} // once each
	ast.Inspect(f, func(n ast.Node) bool {
		e, ok := n.(ast.Expr)
		if !ok {
			return true
		}
		tv, ok := s.info.Types[e]
		if !ok || tv.Type == nil {
			return true
		}
		if size := s.size(tv.Type); size > guard.MaxAlloc && !reported[tv.Type] {
			reported[tv.Type] = true
			c.errorf(e.Pos(), "%s of %s exceeds the scripts' limit of %d MiB", describe(tv), byteCount(size), guard.MaxAlloc>>20)
			return false
		}
		if lit, ok := e.(*ast.CompositeLit); ok {
			return s.checkSlice(c, lit, tv.Type)
		}
		return true
	})
}

// checkTotal bounds the variables of the script together, each declaration
// counted once (package variables, locals, parameters): four package
// variables of 200 MiB would take 800 MiB at load.
func (s *sizes) checkTotal(c *checker) {
	var vars []*types.Var
	for _, obj := range s.info.Defs {
		if v, ok := obj.(*types.Var); ok && !v.IsField() {
			vars = append(vars, v)
		}
	}
	slices.SortFunc(vars, func(a, b *types.Var) int { return cmp.Compare(a.Pos(), b.Pos()) })
	var total int64
	for _, v := range vars {
		if total = min(total+s.size(v.Type()), huge); total > guard.MaxAlloc {
			c.errorf(v.Pos(), "the script's variables take more than the scripts' limit of %d MiB together", guard.MaxAlloc>>20)
			return
		}
	}
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

// size returns the size in bytes of a value of type t, saturating at huge,
// with the layout of gcSizes (memoized: types.Sizes recomputes named types,
// and T2 struct{ a, b T1 } … takes it exponential time).
func (s *sizes) size(t types.Type) int64 {
	return s.layout(t).size
}

type layout struct{ size, align int64 }

func (s *sizes) layout(t types.Type) layout {
	switch t := t.(type) {
	case *types.TypeParam:
		return layout{s.bound(t), 8}
	case *types.Alias:
		return s.layout(types.Unalias(t))
	case *types.Tuple:
		var n int64
		for i := range t.Len() {
			n = min(n+s.size(t.At(i).Type()), huge)
		}
		return layout{n, 8}
	case *types.Basic:
		if t.Info()&types.IsUntyped != 0 || t.Kind() == types.Invalid {
			return layout{0, 1}
		}
		return layout{gcSizes.Sizeof(t), gcSizes.Alignof(t)}
	case *types.Union:
		return layout{0, 1} // a constraint's terms (~int | ~float64): no value has this type
	case *types.Named, *types.Array, *types.Struct:
	default:
		return layout{gcSizes.Sizeof(t), gcSizes.Alignof(t)}
	}
	if l, ok := s.memo[t]; ok {
		return l
	}
	if s.busy[t] {
		return layout{huge, 8} // a cycle go/types would have refused
	}
	s.busy[t] = true
	defer delete(s.busy, t)
	var l layout
	switch t := t.(type) {
	case *types.Named:
		l = s.layout(t.Underlying())
	case *types.Array:
		e := s.layout(t.Elem())
		l = layout{satMul(t.Len(), e.size), e.align}
	case *types.Struct:
		l.align = 1
		var last int64
		for i := range t.NumFields() {
			f := s.layout(t.Field(i).Type())
			l.align = max(l.align, f.align)
			l.size = min(alignUp(l.size, f.align)+f.size, huge)
			last = f.size
		}
		if l.size > 0 && last == 0 {
			l.size++ // gc: a final zero-size field is given a byte
		}
		l.size = min(alignUp(l.size, l.align), huge)
	}
	s.memo[t] = l
	return l
}

func alignUp(n, a int64) int64 {
	if a <= 1 {
		return n
	}
	return (n + a - 1) / a * a
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
