package sandbox

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"reflect"
	"runtime"
	"strings"
	"sync"

	"github.com/jstrace-go/jstrace/internal/sandbox/symbols"
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

// scriptTables are the symbol tables as scripts get them (symbols.Tables:
// the guarded functions and types in place of the originals), made once
// for the checker: the types it checks against are the interpreter's.
var scriptTables = sync.OnceValue(symbols.Tables)

// allowlistPackage returns the types.Package of an allowlisted path, or nil.
func allowlistPackage(path string) (*types.Package, error) {
	switch {
	case path == ScriptPackage:
		return hostTypes.importable(path, scriptSymbols), nil
	case genericDeps[path] != nil:
		return genericPackage(path)
	}
	syms, ok := scriptTables()[useKey(path)]
	if !ok {
		return nil, nil
	}
	return hostTypes.importable(path, syms), nil
}

// genericPackages are yaegi's generic sources, type-checked once.
var genericPackages = struct {
	sync.Mutex
	pkgs map[string]*types.Package
}{pkgs: map[string]*types.Package{}}

func genericPackage(path string) (*types.Package, error) {
	genericPackages.Lock()
	defer genericPackages.Unlock()
	return checkGeneric(path)
}

// checkGeneric type-checks one generic source, and its imports first; the
// lock is held.
func checkGeneric(path string) (*types.Package, error) {
	if p, ok := genericPackages.pkgs[path]; ok {
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
			return checkGeneric(dep)
		}),
		Sizes: gcSizes,
	}
	p, err := conf.Check(path, fset, []*ast.File{f}, nil)
	if err != nil {
		return nil, fmt.Errorf("type-check package %s: %w", path, err)
	}
	genericPackages.pkgs[path] = p
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
	if p := c.pol.pkgs[path]; p != nil {
		return p, nil
	}
	p, err := allowlistPackage(path)
	if err != nil || p != nil {
		return p, err
	}
	return nil, fmt.Errorf("%s", errUnavailable)
}

// optedIn returns the types.Packages of an agent's Packages option.
func optedIn(pkgs map[string]map[string]reflect.Value) map[string]*types.Package {
	out := make(map[string]*types.Package, len(pkgs))
	for path, syms := range pkgs {
		out[path] = hostTypes.fresh(path, syms)
	}
	return out
}
