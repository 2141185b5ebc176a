package sandbox

import (
	"go/ast"
	"go/token"
	"go/types"
	"strconv"
)

// onlyRemote leaves out of a checked script what its Remote cannot reach:
// Local, the functions only Local (or nothing) calls, and the imports only
// they use. An agent runs Remote alone; compiling the rest cost it time
// (yaegi's compilation grows with the code) and memory for the session's
// life, and gave a remote attacker's script more surface for nothing.
//
// What stays: Remote, init functions, methods, every declaration that is
// not a function (package variables' initializers run at load whoever
// reads them), and every function one of those names, transitively. The
// script has been checked whole, so an error anywhere in it is still
// reported; positions do not move.
func onlyRemote(ck *checked) {
	f, info := ck.file, ck.info
	funcs := map[types.Object]*ast.FuncDecl{} // the functions that may go
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name != "Remote" && fd.Name.Name != "init" {
			if obj := info.Defs[fd.Name]; obj != nil {
				funcs[obj] = fd
			}
		}
	}
	reached := map[*ast.FuncDecl]bool{}
	paths := map[string]bool{} // import paths named by what stays
	var visit func(ast.Node)
	visit = func(n ast.Node) {
		ast.Inspect(n, func(n ast.Node) bool {
			id, ok := n.(*ast.Ident)
			if !ok {
				return true
			}
			switch o := info.Uses[id].(type) {
			case *types.PkgName:
				paths[o.Imported().Path()] = true
			case *types.Func:
				if fd := funcs[o.Origin()]; fd != nil && !reached[fd] {
					reached[fd] = true
					visit(fd)
				}
			}
			return true
		})
	}
	for _, d := range f.Decls {
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.IMPORT {
			continue
		}
		if fd, ok := d.(*ast.FuncDecl); ok && funcs[info.Defs[fd.Name]] == fd {
			continue
		}
		visit(d)
	}
	keep := func(spec *ast.ImportSpec) bool {
		if spec.Name != nil && (spec.Name.Name == "_" || spec.Name.Name == ".") {
			return true // no name to follow
		}
		path, ok := importPath(spec)
		return !ok || paths[path]
	}
	decls := f.Decls[:0]
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if fd := funcs[info.Defs[d.Name]]; fd == d && !reached[d] {
				continue
			}
		case *ast.GenDecl:
			if d.Tok == token.IMPORT {
				specs := d.Specs[:0]
				for _, s := range d.Specs {
					if keep(s.(*ast.ImportSpec)) {
						specs = append(specs, s)
					}
				}
				if d.Specs = specs; len(specs) == 0 {
					continue
				}
			}
		}
		decls = append(decls, d)
	}
	f.Decls = decls
	imports := f.Imports[:0]
	for _, s := range f.Imports {
		if keep(s) {
			imports = append(imports, s)
		}
	}
	f.Imports = imports
}

// importPath returns an import's path, unquoted.
func importPath(spec *ast.ImportSpec) (string, bool) {
	path, err := strconv.Unquote(spec.Path.Value)
	return path, err == nil
}
