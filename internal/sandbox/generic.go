package sandbox

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"strconv"
	"strings"
	"sync"

	gen "github.com/traefik/yaegi/stdlib/generic"
)

// The generic standard packages scripts may import (sourcePackages) are
// compiled from source by yaegi. Its Use does that for all of them in every
// interpreter when it is handed fmt under the key "fmt/fmt"; New hands fmt
// over under another key, and Compile adds only what a script imports: their
// syntax trees are some 2 MB of pointers per interpreter, which the traced
// service's garbage collector would otherwise mark in every cycle for as
// long as a session lasts, and their compilation most of an interpreter's
// set-up time.

// plainGenericSources are yaegi's generic package sources by package name,
// as yaegi ships them: what the type checker reads (see checkGeneric).
var plainGenericSources = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, src := range gen.Sources {
		f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.PackageClauseOnly)
		if err == nil {
			m[f.Name.Name] = src
		}
	}
	return m
})

// genericSources are the same sources through the same make guard as
// scripts (see guardMakes), which the interpreter compiles: their
// allocations are sized by script values (slices.Grow(s, n),
// slices.Insert). The rewritten source is printed back to text, which
// yaegi compiles as it does its own. Built on first use, not at start-up
// of the host.
var genericSources = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for name, src := range plainGenericSources() {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, "", src, parser.ParseComments)
		if err != nil {
			continue
		}
		guardMakes(f, resolvedByParser)
		var b strings.Builder
		if err := printer.Fprint(&b, fset, f); err != nil {
			continue
		}
		m[name] = b.String()
	}
	return m
})

// genericImports are the imports of each generic package's source, for
// useImports.
var genericImports = sync.OnceValue(func() map[string][]*ast.ImportSpec {
	m := map[string][]*ast.ImportSpec{}
	for name, src := range plainGenericSources() {
		if f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.ImportsOnly); err == nil {
			m[name] = f.Imports
		}
	}
	return m
})

// genericDeps are the generic packages each one imports, in compile order.
var genericDeps = map[string][]string{"cmp": {"cmp"}, "slices": {"cmp", "slices"}}

// useGeneric compiles the generic standard packages f imports, once per
// interpreter.
func (x *Interp) useGeneric(f *ast.File) error {
	for _, imp := range f.Imports {
		path, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			continue
		}
		for _, pkg := range genericDeps[path] {
			if x.generic[pkg] {
				continue
			}
			src, ok := genericSources()[pkg]
			if !ok {
				return fmt.Errorf("package %s: the interpreter has no source for it", pkg)
			}
			if err := x.useImports(genericImports()[pkg]); err != nil {
				return fmt.Errorf("package %s: %w", pkg, err)
			}
			if _, err := x.i.Compile(src); err != nil {
				return fmt.Errorf("package %s: %w", pkg, err)
			}
			x.generic[pkg] = true
		}
	}
	return nil
}
