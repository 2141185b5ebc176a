package sandbox

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"runtime"
	"strings"
)

// The checker type-checks every script with go/types before the interpreter
// sees it: names resolve in their real scopes, constants are bounded as the
// Go compiler bounds them (no shift count above 1074, no untyped integer
// above 512 bits: a constant expression cannot take more time or memory
// than its source), and every type has a size (see sizes.go).

// gcSizes are the sizes of the process's own compiler and architecture.
var gcSizes = types.SizesFor("gc", runtime.GOARCH)

// maxTypeErrors bounds the type errors reported for one script.
const maxTypeErrors = 10

// allowlistPackage returns the types.Package of an allowlisted path, or nil.
func (h *hostCache) allowlistPackage(path string) (*types.Package, error) {
	switch {
	case path == ScriptPackage:
		return h.types.importable(path, scriptSymbols), nil
	case genericDeps[path] != nil:
		h.generic.Lock()
		defer h.generic.Unlock()
		return h.checkGeneric(path)
	}
	// The symbol tables as scripts get them (symbols.Table: the guarded
	// functions and types in place of the originals): the types the
	// checker checks against are the interpreter's.
	syms, ok := h.table(useKey(path))
	if !ok {
		return nil, nil
	}
	return h.types.importable(path, syms), nil
}

// checkGeneric type-checks one of yaegi's generic sources, and its imports
// first, once per cache; h.generic is locked.
func (h *hostCache) checkGeneric(path string) (*types.Package, error) {
	if p, ok := h.generic.pkgs[path]; ok {
		return p, nil
	}
	src, ok := plainGenericSources()[path]
	if !ok {
		return nil, fmt.Errorf("the interpreter has no source for package %s", path)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path+".go", src, 0)
	if err != nil {
		return nil, fmt.Errorf("parse package %s: %w", path, err)
	}
	conf := types.Config{
		Importer: importerFunc(func(dep string) (*types.Package, error) {
			if genericDeps[dep] == nil {
				return nil, fmt.Errorf("package %s imports %s", path, dep)
			}
			return h.checkGeneric(dep)
		}),
		Sizes: gcSizes,
	}
	p, err := conf.Check(path, fset, []*ast.File{f}, nil)
	if err != nil {
		return nil, fmt.Errorf("type-check package %s: %w", path, err)
	}
	h.generic.pkgs[path] = p
	return p, nil
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

// typeCheck type-checks f. Imports the policy lets through without the
// package at hand (RemoteMark in the CLI) fail silently: go/types then
// reports no error about their uses, and the agents check them.
func (c *checker) typeCheck(f *ast.File) *types.Info {
	info := &types.Info{
		Types:     map[ast.Expr]types.TypeAndValue{},
		Defs:      map[*ast.Ident]types.Object{},
		Uses:      map[*ast.Ident]types.Object{},
		Instances: map[*ast.Ident]types.Instance{},
	}
	n := 0
	conf := types.Config{
		Importer: importerFunc(c.importPackage),
		Sizes:    gcSizes,
		Error: func(err error) {
			te, ok := err.(types.Error)
			if !ok || te.Soft || n >= maxTypeErrors {
				return // unused variables and imports: the interpreter accepts them
			}
			if strings.Contains(te.Msg, errUnavailable) {
				return
			}
			n++
			c.errs.add(te.Fset.Position(te.Pos), te.Msg)
		},
	}
	conf.Check("main", c.fset, []*ast.File{f}, info)
	return info
}

const errUnavailable = "jstrace: available to the agents only"

func (c *checker) importPackage(path string) (*types.Package, error) {
	if syms, ok := c.pol.packages[path]; ok {
		// An agent's opted-in package: two agents in one process may opt
		// different symbols in under one path. Its types are the cache's.
		return c.host.types.fresh(path, syms), nil
	}
	p, err := c.host.allowlistPackage(path)
	if err != nil || p != nil {
		return p, err
	}
	return nil, fmt.Errorf("%s", errUnavailable)
}
