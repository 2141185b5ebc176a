package sandbox

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"slices"

	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/internal/scripthost/link"
)

// Handlers that only read their trace borrow it.
//
// A handler may keep the trace it is given (script.Trace promises that it
// may), so the agent hands each one a trace and a copy of its record of
// its own: new memory an event, 168 bytes for a request's, which the
// service's collector then has to reclaim. Most handlers keep nothing:
// they read a few fields and count. loanOf proves it of a compiled
// handler's code, and the agent then hands such a handler, event after
// event, the same trace and record buffer (engine.Engine.Inline).
//
// The proof is syntactic and conservative: the handler's trace parameter
// appears only as the operand of a field (t.Name, t.Time: values, copied
// out) or of a call of one of traceGetters (which decode a copy); the
// handler is compiled (so its code is this body and the script functions
// it calls, with no function literal, goroutine or method value); and no
// function literal appears in its body. Passing t to anything (a script
// function, Emit, Log, fmt), storing it, dereferencing it, comparing it or
// assigning to it makes the handler a keeper.
//
// A borrowing handler whose getters all name their field by a constant
// (t.Int("status"), not t.Int(key)) reads those fields and no other: the
// agent then encodes those alone, from the probe's arguments, rather
// than the whole event, which it then scans (agent's lendFields). In the
// example service, the record of a request's end is five fields, and the
// harness's handler reads two.

// traceGetters are the Trace methods a borrowing handler may call: each
// returns a value decoded from the record into memory of its own (a
// string or a time.Time included), never a slice of it.
var traceGetters = map[string]bool{
	"Int": true, "Uint": true, "Dur": true, "Float": true, "Str": true,
	"Bool": true, "Has": true, "TimeField": true,
}

// loanOf returns what the handler does with its trace: whether it reads
// it without keeping any of it (Borrows), as the comment above says, and
// if so, when every getter it calls has a constant key, the raw keys of
// the fields it reads (Keys: see link.Loan), so that the host may give it
// those fields alone.
func loanOf(info *types.Info, params *ast.FieldList, body *ast.BlockStmt) scripthost.Loan {
	if params == nil || len(params.List) != 1 || len(params.List[0].Names) > 1 {
		return scripthost.Loan{}
	}
	var param types.Object
	if names := params.List[0].Names; len(names) == 1 {
		param = info.Defs[names[0]]
	}
	ok, known := true, true
	keys := []string{}
	var stack []ast.Node
	ast.Inspect(body, func(n ast.Node) bool {
		if !ok {
			return false
		}
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		switch n := n.(type) {
		case *ast.FuncLit, *ast.GoStmt, *ast.DeferStmt:
			ok = false
			return false
		case *ast.Ident:
			if param != nil && info.Uses[n] == param {
				var u use
				ok, u = readOnly(info, n, stack)
				switch raw, isRaw := link.RawKey(u.key); {
				case !u.getter:
				case !u.constKey:
					known = false
				case isRaw && !slices.Contains(keys, raw):
					keys = append(keys, raw)
				}
			}
		}
		stack = append(stack, n)
		return true
	})
	switch {
	case !ok:
		return scripthost.Loan{}
	case !known:
		return scripthost.Loan{Borrows: true}
	}
	return scripthost.Loan{Borrows: true, Keys: keys}
}

// A use is how a handler reads its trace: a field (t.Name), or a getter
// (t.Int(key)) whose key may be a constant.
type use struct {
	getter   bool
	key      string
	constKey bool
}

// readOnly reports whether the use id of the trace parameter, under the
// nodes of stack (innermost last), reads a field or calls a getter, and
// which.
func readOnly(info *types.Info, id *ast.Ident, stack []ast.Node) (bool, use) {
	if len(stack) == 0 {
		return false, use{}
	}
	sel, isSel := stack[len(stack)-1].(*ast.SelectorExpr)
	if !isSel || sel.X != id {
		return false, use{}
	}
	switch obj := info.Uses[sel.Sel].(type) {
	case *types.Var:
		return obj.IsField() && !written(sel, stack[:len(stack)-1]), use{}
	case *types.Func:
		if len(stack) < 2 || !traceGetters[obj.Name()] {
			return false, use{}
		}
		call, isCall := stack[len(stack)-2].(*ast.CallExpr)
		if !isCall || call.Fun != sel {
			return false, use{}
		}
		if len(call.Args) == 1 {
			if key, ok := constString(info, call.Args[0]); ok {
				return true, use{getter: true, key: key, constKey: true}
			}
		}
		return true, use{getter: true}
	}
	return false, use{}
}

// constString returns the value of e if it is a string constant.
func constString(info *types.Info, e ast.Expr) (string, bool) {
	if v := info.Types[e].Value; v != nil && v.Kind() == constant.String {
		return constant.StringVal(v), true
	}
	return "", false
}

// written reports whether the field selection sel, under the nodes of
// stack (innermost last), is written or has its address taken (t.PID++,
// t.Name = s, &t.Time): a handler doing so keeps, or changes, what the
// host lends it. Compiled handlers do none of these today; the proof
// does not lean on that.
func written(sel *ast.SelectorExpr, stack []ast.Node) bool {
	if len(stack) == 0 {
		return false
	}
	switch p := stack[len(stack)-1].(type) {
	case *ast.ParenExpr:
		return true // (t.PID)++: not told apart
	case *ast.UnaryExpr:
		return p.Op == token.AND
	case *ast.IncDecStmt:
		return p.X == sel
	case *ast.AssignStmt:
		return slices.Contains(p.Lhs, ast.Expr(sel))
	}
	return false
}
