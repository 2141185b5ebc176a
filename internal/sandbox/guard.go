package sandbox

import (
	"go/ast"
	"go/token"
	"go/types"
	"reflect"
	"strconv"

	"github.com/jstrace-go/jstrace/internal/sandbox/guard"
)

// guardName is the local name under which scripts see package guard; the
// checker refuses it as an identifier in scripts.
const guardName = "jstrace_guard_"

const guardPath = "github.com/jstrace-go/jstrace/internal/sandbox/guard"

var guardSymbols = map[string]reflect.Value{
	"Len":       reflect.ValueOf(guard.Len),
	"OnBounded": reflect.ValueOf(guard.OnBounded),
}

// guardMakes rewrites every make(T, n[, m]) of the file into
// make(T, guard.Len(int64(n), T(nil))[, …]), so that a script cannot ask
// for gigabytes in one expression, and imports package guard. declared
// reports the identifiers that name something of the file's own (a
// script's func make), which are left alone.
func guardMakes(f *ast.File, declared func(*ast.Ident) bool) {
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		id, ok := ast.Unparen(call.Fun).(*ast.Ident) // (make)(…): the interpreter refuses it today
		if !ok || id.Name != "make" || declared(id) || len(call.Args) < 2 {
			return true
		}
		typ := call.Args[0]
		for i := 1; i < len(call.Args); i++ {
			call.Args[i] = &ast.CallExpr{
				Fun: &ast.SelectorExpr{X: ast.NewIdent(guardName), Sel: ast.NewIdent("Len")},
				Args: []ast.Expr{
					&ast.CallExpr{Fun: ast.NewIdent("int64"), Args: []ast.Expr{call.Args[i]}},
					&ast.CallExpr{Fun: &ast.ParenExpr{X: typ}, Args: []ast.Expr{ast.NewIdent("nil")}},
				},
			}
		}
		found = true
		return true
	})
	if found {
		importGuard(f)
	}
}

// importGuard imports package guard into f, once.
func importGuard(f *ast.File) {
	for _, spec := range f.Imports {
		if spec.Name != nil && spec.Name.Name == guardName {
			return
		}
	}
	spec := &ast.ImportSpec{Name: ast.NewIdent(guardName), Path: &ast.BasicLit{Kind: token.STRING, Value: strconv.Quote(guardPath)}}
	f.Imports = append(f.Imports, spec)
	f.Decls = append([]ast.Decl{&ast.GenDecl{Tok: token.IMPORT, Specs: []ast.Spec{spec}}}, f.Decls...)
}

// declaredIn returns guardMakes' test for a type-checked file: an
// identifier the checker did not resolve to a builtin is the script's own,
// and one it has no record of (written by a rewrite) is guarded.
func declaredIn(info *types.Info) func(*ast.Ident) bool {
	return func(id *ast.Ident) bool {
		obj, ok := info.Uses[id]
		if !ok {
			return false
		}
		_, builtin := obj.(*types.Builtin)
		return !builtin
	}
}

// resolvedByParser is guardMakes' test for a file parsed with the
// parser's own resolution (yaegi's generic sources).
func resolvedByParser(id *ast.Ident) bool { return id.Obj != nil }
