package sandbox

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/types"
	"reflect"
	"slices"
	"strings"

	"github.com/jstrace-go/jstrace/internal/sandbox/symbols"
)

// ScriptPackage is the import path of the script API.
const ScriptPackage = "github.com/jstrace-go/jstrace/script"

// sourcePackages are generic standard packages that yaegi compiles from
// source, when a script imports them (see generic.go); these two are pure
// and work (yaegi cannot instantiate most of maps).
var sourcePackages = []string{"cmp", "slices"}

// Allowed returns the import paths scripts may use, sorted.
func Allowed() []string {
	paths := []string{ScriptPackage}
	paths = append(paths, sourcePackages...)
	for k := range symbols.Symbols {
		paths = append(paths, k[:strings.LastIndexByte(k, '/')])
	}
	slices.Sort(paths)
	return paths
}

// RemoteMark is the comment that marks an import as one only the agents
// have (a package an agent opts in with its Packages option):
//
//	import "example.com/svc/debugstate" //jstrace:remote
//
// The CLI compiles such a script's Local without Remote and without those
// imports; the agents check them against what they opt in.
const RemoteMark = "//jstrace:remote"

func allowed(path string) bool {
	if path == ScriptPackage || slices.Contains(sourcePackages, path) {
		return true
	}
	_, ok := symbols.Symbols[useKey(path)]
	return ok
}

// Check reports every problem in a script that would keep it from loading
// safely: a source beyond MaxSourceSize, MaxNesting or MaxNodes, syntax
// errors, a package other than main, imports off the allowlist (imports
// marked RemoteMark are let through, unchecked), goroutines, channels and
// select, constructs the interpreter does not support, a missing or
// misdeclared Remote or Local, type errors, constants beyond the Go
// compiler's bounds or constant strings beyond MaxConstString, and types
// or values larger than the scripts' allocation limit. The error is an
// ErrorList with file:line:col positions. Its cost is bounded by the
// limits: a fraction of a second for the largest script admitted.
func Check(filename string, src []byte) error {
	_, err := check(token.NewFileSet(), filename, src, policy{remoteMarked: true})
	return err
}

// policy says which imports beyond the allowlist a check accepts.
type policy struct {
	extra          map[string]bool                     // opted in by the embedding service (agent)
	packages       map[string]map[string]reflect.Value // their symbols, for the type checker
	foreignStrings int64                               // their longest string constant
	remoteMarked   bool                                // imports marked RemoteMark (the CLI)
}

// checked is a parsed, checked script.
type checked struct {
	file   *ast.File
	info   *types.Info
	remote map[string]*ast.ImportSpec // imports marked RemoteMark, by local name
	host   *hostCache                 // whose types info's objects are
}

func check(fset *token.FileSet, filename string, src []byte, pol policy) (*checked, error) {
	if len(src) > MaxSourceSize {
		return nil, ErrorList{{Pos: token.Position{Filename: filename, Line: 1, Column: 1}, Msg: tooBig(len(src))}}
	}
	pre := checker{fset: token.NewFileSet()} // the interpreter's keeps what it compiles
	if pre.nests(pre.fset.AddFile(filename, -1, len(src)), src) {
		return nil, pre.errs
	}
	// Names are resolved by the type checker: the parser's own resolution
	// (deprecated) was a fifth of an agent's check.
	f, err := parser.ParseFile(fset, filename, src, parser.AllErrors|parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		if el, ok := err.(scanner.ErrorList); ok {
			return nil, fromScanner(el)
		}
		return nil, ErrorList{{Pos: token.Position{Filename: filename}, Msg: err.Error()}}
	}
	c := checker{fset: fset, pol: pol, remote: map[string]*ast.ImportSpec{}, host: currentHostCache()}
	if f.Name.Name != "main" {
		c.errorf(f.Name.Pos(), "a script must be package main, not %s", f.Name.Name)
	}
	if !c.bounded(f) {
		return nil, c.errs
	}
	c.imports(f)
	ast.Inspect(f, c.node)
	c.entryPoints(f)
	if len(c.errs) > 0 {
		return nil, c.errs
	}
	if c.checkConstLens(f); len(c.errs) > 0 {
		return nil, c.errs
	}
	if c.checkTypePaths(f); len(c.errs) > 0 {
		return nil, c.errs
	}
	info := c.typeCheck(f)
	if len(c.errs) > 0 {
		return nil, c.errs
	}
	if c.builtins(f, info); len(c.errs) > 0 {
		return nil, c.errs
	}
	newSizes(f, info).check(&c, f)
	c.errs.sort()
	return &checked{file: f, info: info, remote: c.remote, host: c.host}, c.errs.err()
}

type checker struct {
	fset      *token.FileSet
	pol       policy
	errs      ErrorList
	scriptPkg string                     // local name of the script package, "" if not imported
	remote    map[string]*ast.ImportSpec // imports marked RemoteMark, by local name
	host      *hostCache                 // the host's types, held for the check
}

func (c *checker) errorf(pos token.Pos, format string, args ...any) {
	c.errs.add(c.fset.Position(pos), fmt.Sprintf(format, args...))
}

func (c *checker) imports(f *ast.File) {
	for _, spec := range f.Imports {
		path, ok := importPath(spec)
		if !ok {
			c.errorf(spec.Path.Pos(), "bad import path %s", spec.Path.Value)
			continue
		}
		marked := isRemoteMarked(spec)
		switch {
		case allowed(path) || c.pol.extra[path]:
		case marked && c.pol.remoteMarked:
		case marked:
			c.errorf(spec.Path.Pos(), "import %q is not opted in by this agent", path)
			continue
		default:
			c.errorf(spec.Path.Pos(), "import %q is not allowed in scripts (allowed: %s; a package your agents opt in must be marked %s)", path, strings.Join(Allowed(), ", "), RemoteMark)
			continue
		}
		name := path[strings.LastIndexByte(path, '/')+1:]
		if spec.Name != nil {
			if spec.Name.Name == "." {
				c.errorf(spec.Name.Pos(), "dot imports are not supported in scripts")
				continue
			}
			name = spec.Name.Name
		}
		if path == ScriptPackage {
			c.scriptPkg = name
		}
		if marked {
			c.remote[name] = spec
		}
	}
}

// isRemoteMarked reports whether the import's line comment is RemoteMark
// (read raw: CommentGroup.Text drops directive-shaped comments).
func isRemoteMarked(spec *ast.ImportSpec) bool {
	if spec.Comment == nil {
		return false
	}
	for _, c := range spec.Comment.List {
		if strings.TrimSpace(c.Text) == RemoteMark {
			return true
		}
	}
	return false
}

// node reports constructs scripts may not use.
func (c *checker) node(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.GoStmt:
		c.errorf(n.Pos(), "go statements are not allowed in scripts: handlers run one at a time")
	case *ast.SelectStmt:
		c.errorf(n.Pos(), "select is not allowed in scripts")
	case *ast.SendStmt:
		c.errorf(n.Arrow, "channel operations are not allowed in scripts")
	case *ast.UnaryExpr:
		if n.Op == token.ARROW {
			c.errorf(n.OpPos, "channel operations are not allowed in scripts")
		}
	case *ast.ChanType:
		c.errorf(n.Pos(), "channels are not allowed in scripts")
	case *ast.RangeStmt:
		if _, ok := n.X.(*ast.FuncLit); ok {
			c.errorf(n.X.Pos(), "range over a function is not supported by the script interpreter")
		}
	case *ast.AssignStmt:
		for _, lhs := range n.Lhs {
			c.noDerefWrite(lhs)
		}
	case *ast.IncDecStmt:
		c.noDerefWrite(n.X)
	case *ast.Ident:
		if n.Name == guardName {
			c.errorf(n.Pos(), "%s is a reserved name", guardName)
		}
	}
	return true
}

// builtins refuses what the interpreter lacks of Go 1.22 and later, which
// only types tell apart: ranging over an integer, and the min, max and
// clear builtins (a script's own func max is fine).
func (c *checker) builtins(f *ast.File, info *types.Info) {
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.RangeStmt:
			if t := info.Types[n.X].Type; t != nil && isInteger(t) {
				c.errorf(n.X.Pos(), "range over an integer is not supported by the script interpreter: use for i := 0; i < n; i++")
			}
		case *ast.CallExpr:
			if id, ok := ast.Unparen(n.Fun).(*ast.Ident); ok && isBuiltin(info, id) {
				switch id.Name {
				case "min", "max", "clear":
					c.errorf(id.Pos(), "the %s builtin is not supported by the script interpreter: write it out", id.Name)
				}
			}
		}
		return true
	})
}

// isInteger reports whether t is an integer type, or a type parameter
// whose type set holds one (for range over it ranges over an integer).
func isInteger(t types.Type) bool {
	if p, ok := t.(*types.TypeParam); ok {
		return holdsInteger(p.Constraint(), map[types.Type]bool{})
	}
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&types.IsInteger != 0
}

// holdsInteger reports whether a constraint's type set may hold an
// integer type: a term of its unions, or of the interfaces it embeds.
func holdsInteger(t types.Type, seen map[types.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch u := t.Underlying().(type) {
	case *types.Basic:
		return u.Info()&types.IsInteger != 0
	case *types.Union:
		for i := range u.Len() {
			if holdsInteger(u.Term(i).Type(), seen) {
				return true
			}
		}
	case *types.Interface:
		for i := range u.NumEmbeddeds() {
			if holdsInteger(u.EmbeddedType(i), seen) {
				return true
			}
		}
	}
	return false
}

// isBuiltin reports whether id names a builtin function in a checked file.
func isBuiltin(info *types.Info, id *ast.Ident) bool {
	_, ok := info.Uses[id].(*types.Builtin)
	return ok
}

// noDerefWrite refuses writes through a pointer (*p = v, *p++): a script
// can get pointers to host values (t.Location() is the process's
// time.Local) and must not overwrite them.
func (c *checker) noDerefWrite(lhs ast.Expr) {
	if star, ok := ast.Unparen(lhs).(*ast.StarExpr); ok {
		c.errorf(star.Pos(), "writing through a pointer (*p = …) is not allowed in scripts: it could change the traced process's own values")
	}
}

// entryPoints checks Remote and Local: at least one, each declared as
// func(traces *script.Traces).
func (c *checker) entryPoints(f *ast.File) {
	found := false
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Recv != nil || (fd.Name.Name != "Remote" && fd.Name.Name != "Local") {
			continue
		}
		found = true
		if !c.tracesSignature(fd.Type) {
			c.errorf(fd.Name.Pos(), "%s must be declared as func %s(traces *script.Traces)", fd.Name.Name, fd.Name.Name)
		}
	}
	if !found {
		c.errorf(f.Name.Pos(), "a script must define func Remote(traces *script.Traces), func Local(traces *script.Traces), or both")
	}
}

func (c *checker) tracesSignature(ft *ast.FuncType) bool {
	if ft.TypeParams != nil || ft.Results != nil || ft.Params == nil || len(ft.Params.List) != 1 || len(ft.Params.List[0].Names) > 1 {
		return false
	}
	star, ok := ft.Params.List[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	sel, ok := star.X.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && c.scriptPkg != "" && pkg.Name == c.scriptPkg && sel.Sel.Name == "Traces"
}
