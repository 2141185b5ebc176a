package sandbox

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
)

// withoutRemote removes Remote and the imports marked RemoteMark from a
// checked script, and reports uses of those imports outside Remote: Local
// cannot use packages only the agents have.
func withoutRemote(fset *token.FileSet, ck *checked) error {
	f := ck.file
	var decls []ast.Decl
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil && d.Name.Name == "Remote" {
				continue
			}
		case *ast.GenDecl:
			if d.Tok == token.IMPORT {
				specs := d.Specs[:0]
				for _, s := range d.Specs {
					if !isMarked(ck, s.(*ast.ImportSpec)) {
						specs = append(specs, s)
					}
				}
				d.Specs = specs
			}
		}
		decls = append(decls, d)
	}
	f.Decls = decls
	var errs ErrorList
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if id, ok := sel.X.(*ast.Ident); ok && isPackage(ck.info, id) && ck.remote[id.Name] != nil {
			errs.add(fset.Position(id.Pos()), fmt.Sprintf("%s is marked %s: use it in Remote only", id.Name, RemoteMark))
		}
		return true
	})
	return errs.err()
}

func isMarked(ck *checked, spec *ast.ImportSpec) bool {
	for _, s := range ck.remote {
		if s == spec {
			return true
		}
	}
	return false
}

// isPackage reports whether id names an imported package.
func isPackage(info *types.Info, id *ast.Ident) bool {
	_, ok := info.Uses[id].(*types.PkgName)
	return ok
}
