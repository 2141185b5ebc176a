package sandbox

import (
	"go/ast"
	"go/types"
	"slices"
	"time"

	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/script"
)

// A handler that only reads its trace (borrows) and calls its getters
// with constant keys (t.Int("status"), t.Dur("duration")) reads those
// fields in one pass over the record, the first time the call needs one,
// rather than in a pass each: each getter then decodes its field's value
// as the getter would (scripthost.TraceFields, scripthost.Getters).

// fields is what a compiled handler reads of its trace that way.
type fields struct {
	param *types.Var // the handler's trace parameter, while compiling
	keys  []string   // the keys read, each once
	read  func(*script.Trace, [][]byte)
	vals  [][]byte // the keys' values in this call's trace, once done
	done  bool
}

// val returns the value of keys[i] in the trace at tp.
func (f *fields) val(tp **script.Trace, i int) []byte {
	if !f.done {
		f.read(*tp, f.vals)
		f.done = true
	}
	return f.vals[i]
}

// fieldRead compiles e, a call of the getter name of the handler's own
// trace with a constant key, into a read of the key's value from the
// handler's pass over its fields; ok is false for any other call.
func (c *compiler) fieldRead(e *ast.CallExpr, name string) (x expr, ok bool) {
	f := c.fields
	if f == nil || len(e.Args) != 1 {
		return expr{}, false
	}
	sel, isSel := e.Fun.(*ast.SelectorExpr)
	if !isSel {
		return expr{}, false
	}
	if id, isID := sel.X.(*ast.Ident); !isID || c.info.Uses[id] != types.Object(f.param) {
		return expr{}, false
	}
	key, isConst := constString(c.info, e.Args[0])
	if !isConst {
		return expr{}, false
	}
	cl := c.vars[f.param]
	if cl == nil {
		return expr{}, false
	}
	tp := (**script.Trace)(cl.p)
	i := slices.Index(f.keys, key)
	if i < 0 {
		i = len(f.keys)
		f.keys = append(f.keys, key)
	}
	g := scripthost.Getters
	x = expr{k: scalarKind(c.info.TypeOf(e)), t: c.info.TypeOf(e)}
	switch name {
	case "Int":
		x.i = func() int64 { return int64(g.Int(f.val(tp, i))) }
	case "Dur":
		x.i = func() int64 { return int64(g.Dur(f.val(tp, i))) }
	case "Float":
		x.f = func() float64 { return g.Float(f.val(tp, i)) }
	case "Str":
		x.s = func() string { return g.Str(f.val(tp, i)) }
	case "Bool":
		x.b = func() bool { return g.Bool(f.val(tp, i)) }
	case "Has":
		x.b = func() bool { return g.Has(f.val(tp, i)) }
	case "TimeField":
		x.tm = func() time.Time { return g.Time(f.val(tp, i)) }
	default:
		return expr{}, false
	}
	return x, true
}

// ready makes f readable once the handler is compiled; nil if the
// handler reads no field that way.
func (f *fields) ready() *fields {
	if f == nil || len(f.keys) == 0 {
		return nil
	}
	f.param = nil // the handler keeps nothing of the check's (see Interp.settle)
	f.vals = make([][]byte, len(f.keys))
	f.read = scripthost.TraceFields(f.keys)
	return f
}
