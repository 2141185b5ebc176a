package sandbox

import (
	"go/ast"
	"go/token"
	"go/types"
	"slices"
)

// Handlers that only read their trace borrow it.
//
// A handler may keep the trace it is given (script.Trace promises that it
// may), so the agent hands each one a trace and a copy of its record of
// its own: new memory an event, 168 bytes for a request's, which the
// service's collector then has to reclaim. Most handlers keep nothing:
// they read a few fields and count. borrows proves it of a compiled
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

// traceGetters are the Trace methods a borrowing handler may call: each
// returns a value decoded from the record into memory of its own (a
// string or a time.Time included), never a slice of it.
var traceGetters = map[string]bool{
	"Int": true, "Uint": true, "Dur": true, "Float": true, "Str": true,
	"Bool": true, "Has": true, "TimeField": true,
}

// borrows reports whether the handler of spec reads its trace without
// keeping any of it, as the comment above says.
func borrows(info *types.Info, params *ast.FieldList, body *ast.BlockStmt) bool {
	if params == nil || len(params.List) != 1 || len(params.List[0].Names) > 1 {
		return false
	}
	var param types.Object
	if names := params.List[0].Names; len(names) == 1 {
		param = info.Defs[names[0]]
	}
	ok := true
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
				ok = readOnly(info, n, stack)
			}
		}
		stack = append(stack, n)
		return true
	})
	return ok
}

// readOnly reports whether the use id of the trace parameter, under the
// nodes of stack (innermost last), reads a field or calls a getter.
func readOnly(info *types.Info, id *ast.Ident, stack []ast.Node) bool {
	if len(stack) == 0 {
		return false
	}
	sel, isSel := stack[len(stack)-1].(*ast.SelectorExpr)
	if !isSel || sel.X != id {
		return false
	}
	switch obj := info.Uses[sel.Sel].(type) {
	case *types.Var:
		return obj.IsField() && !written(sel, stack[:len(stack)-1])
	case *types.Func:
		if len(stack) < 2 || !traceGetters[obj.Name()] {
			return false
		}
		call, isCall := stack[len(stack)-2].(*ast.CallExpr)
		return isCall && call.Fun == sel
	}
	return false
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
