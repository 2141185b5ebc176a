package sandbox

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/token"
	"io"
	"io/fs"
	"maps"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/traefik/yaegi/interp"

	"github.com/jstrace-go/jstrace/internal/printable"
	"github.com/jstrace-go/jstrace/internal/sandbox/halt"
	"github.com/jstrace-go/jstrace/internal/sandbox/symbols"
	"github.com/jstrace-go/jstrace/script"
)

// Options configure Load. The zero value discards all output.
type Options struct {
	// Stdout receives fmt.Print*, print and println output. Default:
	// io.Discard.
	Stdout io.Writer
	// Stderr receives what the interpreter itself writes on standard error.
	// Default: io.Discard.
	Stderr io.Writer
	// Packages opts packages in beyond the allowlist: import path →
	// exported name → value, as yaegi's extract tool generates them.
	// Default: none.
	Packages map[string]map[string]reflect.Value
	// LocalOnly compiles a script that marks imports RemoteMark without
	// its Remote function and those imports: the CLI's view of a script
	// whose Remote uses packages only the agents have. Default: false.
	LocalOnly bool
	// RemoteOnly compiles what the script's Remote can reach and no more:
	// Local, the functions only it calls and the imports only they use
	// are left out (after the whole script is checked). An agent's view
	// of a script. Default: false.
	RemoteOnly bool
}

// A Script is a loaded script: its top-level declarations have been
// evaluated and its entry points extracted. Calling Remote or Local (and
// the handlers they register) runs the interpreter; a Script's functions
// must be called from one goroutine at a time. The first entry point to
// return settles the interpreter (see Interp.settle): handlers a later
// call registers run interpreted.
type Script struct {
	Remote func(*script.Traces) // nil if the script has no Remote
	Local  func(*script.Traces) // nil if the script has no Local
}

// scriptSymbols exposes the script API: every exported name of package
// script, whose host side is in internal/scripthost (TestScriptAPI).
var scriptSymbols = symbols.Script

// emptyFS is the interpreter's source file system: nothing is ever loaded
// from disk.
type emptyFS struct{}

func (emptyFS) Open(name string) (fs.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// An Interp is one yaegi interpreter with the sandbox's symbol tables.
// Compile, Run and the script functions they return must be called from
// one goroutine at a time; Kill may be called from any goroutine while
// script code runs or between calls, but not during Compile.
type Interp struct {
	i   *interp.Interpreter
	pol policy
	// host is the cache of the host's types the check used, held while
	// handlers may still be compiled against the check's types (their
	// specs' info), until the script's entry point has run (settle): a
	// session attached meanwhile shares it rather than building its own
	// copy beside it (see hostCache).
	host *hostCache
	// localOnly and remoteOnly: see Options.
	localOnly, remoteOnly bool
	// generic: the generic packages compiled so far (see useGeneric).
	generic map[string]bool
	// used: the standard packages handed over so far, and their tables
	// (see useImports), where compiled handlers find their natives.
	used map[string]map[string]reflect.Value
	// stdout is where the script's fmt.Print* write.
	stdout io.Writer
	// stderr is the interpreter's standard error, where a panic names
	// the frames it unwinds (compiled handlers write there the same way).
	stderr io.Writer
	// halt is thrown by Kill (see package halt).
	halt *halt.Switch
	// named: see name.
	named sync.Once
	// specs are the handlers compiled, until the script's entry point
	// has run (see settle).
	specs []*handlerSpec
	// bound counts the compiled functions bound and registered (see
	// useCompiled), handlers those of them that are handlers.
	bound, handlers atomic.Int64
	// foreign: the script imports a package of Options.Packages (see
	// Releasable).
	foreign bool
	// noCompile keeps every handler interpreted (tests compare the two).
	noCompile bool
}

// New returns an interpreter set up as the package documentation says.
func New(opts Options) (*Interp, error) {
	i := interp.New(interp.Options{
		Stdin:                strings.NewReader(""),
		Stdout:               orDiscard(opts.Stdout),
		Stderr:               orDiscard(opts.Stderr),
		Args:                 []string{"script"},
		Env:                  []string{},
		SourcecodeFilesystem: emptyFS{},
	})
	// The allowlisted standard packages are handed over as a script
	// imports them (useImports): each costs its table's copy.
	exports := interp.Exports{ScriptPackage + "/script": scriptSymbols, guardPath + "/guard": guardSymbols}
	pol := policy{extra: map[string]bool{}, remoteMarked: opts.LocalOnly}
	for path, syms := range opts.Packages {
		if allowed(path) || path == guardPath {
			return nil, fmt.Errorf("package %s is already available to scripts", path)
		}
		exports[useKey(path)] = syms
		pol.extra[path] = true
	}
	pol.packages = make(map[string]map[string]reflect.Value, len(opts.Packages))
	for path, syms := range opts.Packages {
		pol.packages[path] = maps.Clone(syms)
	}
	for _, syms := range opts.Packages {
		pol.foreignStrings = max(pol.foreignStrings, longestString(syms))
	}
	if err := i.Use(exports); err != nil {
		return nil, fmt.Errorf("set up interpreter: %w", err)
	}
	return &Interp{i: i, pol: pol, localOnly: opts.LocalOnly, remoteOnly: opts.RemoteOnly, generic: map[string]bool{}, used: map[string]map[string]reflect.Value{},
		stdout: orDiscard(opts.Stdout), stderr: orDiscard(opts.Stderr), halt: &halt.Switch{}}, nil
}

// useImports hands the interpreter the tables of the allowlisted standard
// packages imports names that it does not have yet (the others, script's,
// the host's and the generic ones, it has or compiles). A script that
// imports fmt, time and sort costs three tables' copies, not the
// allowlist's two dozen (bench/README.md, Attach).
func (x *Interp) useImports(imports []*ast.ImportSpec) error {
	exports := interp.Exports{}
	for _, imp := range imports {
		path, err := strconv.Unquote(imp.Path.Value)
		if _, done := x.used[path]; err != nil || done {
			continue
		}
		if key, t := table(path, x.stdout); t != nil {
			x.used[path] = t
			exports[key] = t
		}
	}
	if len(exports) == 0 {
		return nil
	}
	return x.i.Use(exports)
}

// useKey is the key of the package path in yaegi's Use and in the symbol
// tables: the path, a slash, and the package's name (its last element).
func useKey(path string) string {
	return path + "/" + path[strings.LastIndexByte(path, '/')+1:]
}

// table returns the symbol table of the allowlisted standard package path
// for one interpreter whose fmt.Print* write to stdout, and its key for
// Use; a nil table for a package not allowlisted.
func table(path string, stdout io.Writer) (key string, t map[string]reflect.Value) {
	key = useKey(path)
	t = symbols.Table(key)
	if t == nil || path != "fmt" {
		return key, t
	}
	// Printing functions that refuse cyclic values (TestFmtRefusesCycles).
	// And the key "fmt/fmt" would make Use install yaegi's own Print,
	// Printf and Println, rewire log and os, and compile every generic
	// package; "fmt//fmt" names the same package (yaegi cleans the path)
	// without that (see generic.go).
	t = maps.Clone(t)
	maps.Copy(t, safeFmt(stdout))
	return "fmt//fmt", t
}

// Load checks src (see Check), then evaluates it in a new interpreter and
// returns its entry points. A func main, which scripts may have for go
// build's sake, is left out. Errors are ErrorLists with positions where they
// are known.
func Load(filename string, src []byte, opts Options) (*Script, error) {
	x, err := New(opts)
	if err != nil {
		return nil, err
	}
	return x.Load(filename, src)
}

// Load is Compile then Run.
func (x *Interp) Load(filename string, src []byte) (*Script, error) {
	p, err := x.Compile(filename, src)
	if err != nil {
		return nil, err
	}
	return x.Run(p)
}

// A Program is a compiled script, not yet run.
type Program struct {
	filename string
	prog     *interp.Program
}

// Compile checks src (see Check) and compiles it. Its cost is bounded by
// the source size; it runs no script code. Call it once.
func (x *Interp) Compile(filename string, src []byte) (p *Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, ErrorList{{Msg: fmt.Sprintf("%s: the script interpreter failed: %v", filename, r)}}
		}
	}()
	x.name()
	ck, err := check(x.i.FileSet(), filename, src, x.pol)
	if err != nil {
		return nil, err
	}
	f := ck.file
	if x.localOnly && len(ck.remote) > 0 {
		if err := withoutRemote(x.i.FileSet(), ck); err != nil {
			return nil, err
		}
	}
	if x.remoteOnly {
		onlyRemote(ck)
	}
	f.Decls = withoutMain(f.Decls)
	for _, spec := range f.Imports {
		if path, ok := importPath(spec); ok && x.pol.extra[path] {
			x.foreign = true
		}
	}
	if err := x.useImports(f.Imports); err != nil {
		return nil, ErrorList{{Pos: token.Position{Filename: filename}, Msg: err.Error()}}
	}
	natives := x.native
	if x.noCompile {
		natives = nil
	}
	found, specs := inlineHandlers(f, ck.info, natives)
	if found {
		importGuard(f)
	}
	if len(specs) > 0 {
		x.host = ck.host
		if err := x.useCompiled(specs); err != nil {
			return nil, ErrorList{{Pos: token.Position{Filename: filename}, Msg: err.Error()}}
		}
	}
	guardMakes(f, declaredIn(ck.info))
	if err := x.useGeneric(f); err != nil {
		return nil, ErrorList{{Pos: token.Position{Filename: filename}, Msg: err.Error()}}
	}
	prog, err := x.i.CompileAST(f)
	if err != nil {
		return nil, yaegiError(err)
	}
	return &Program{filename: filename, prog: prog}, nil
}

// Run evaluates a compiled script's top level (package variables, init
// functions), which runs script code, and returns its entry points.
func (x *Interp) Run(p *Program) (s *Script, err error) {
	filename := p.filename
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, ErrorList{{Msg: fmt.Sprintf("%s: the script interpreter failed: %v", filename, r)}}
		}
	}()
	i := x.i
	if _, err := i.Execute(p.prog); err != nil {
		return nil, yaegiError(err)
	}
	syms := i.Symbols("main")["main"]
	s = &Script{}
	if v, ok := syms["Remote"]; ok {
		if s.Remote, ok = v.Interface().(func(*script.Traces)); !ok {
			return nil, ErrorList{{Msg: fmt.Sprintf("%s: Remote has type %s, want func(*script.Traces)", filename, v.Type())}}
		}
	}
	if v, ok := syms["Local"]; ok {
		if s.Local, ok = v.Interface().(func(*script.Traces)); !ok {
			return nil, ErrorList{{Msg: fmt.Sprintf("%s: Local has type %s, want func(*script.Traces)", filename, v.Type())}}
		}
	}
	s.Remote, s.Local = x.settling(s.Remote), x.settling(s.Local)
	return s, nil
}

// settling returns entry, which settles the interpreter once it returns
// (see settle); nil if entry is nil.
func (x *Interp) settling(entry func(*script.Traces)) func(*script.Traces) {
	if entry == nil {
		return nil
	}
	return func(t *script.Traces) {
		defer x.settle()
		entry(t)
	}
}

// Kill stops the interpreted code running now, loops and recursion
// included, at its next step; the call into the script returns with zero
// results. The interpreter is dead afterwards: every later call into the
// script returns at once. Code running in a Go function the script called
// (a regexp match, a strings.Repeat) finishes that call first; if that
// function calls back into the script (sort.Sort calling Less) through a
// thread bound to the interpreter's Halt switch, the callback panics with
// halt.Halted instead, unwinding it.
//
// yaegi stops an interpreter only when an EvalWithContext's context is
// cancelled while the evaluation is still running; with an evaluation that
// ends at once (a syntax error), which of the two it sees first is a coin
// toss, so Kill tosses until the odds that every toss failed are below one in
// a billion.
func (x *Interp) Kill() {
	x.halt.Throw()
	x.name()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 30 {
		x.i.EvalWithContext(ctx, ")")
	}
}

// name makes yaegi name the interpreter's source, which it does on its
// first compilation from source (a write two of Kill's evaluations, or
// one and a generic package's compilation, would race on), with one of
// nothing that compiles. It runs once, at the first Compile or Kill: on
// the goroutine that compiles, whose stack the check grows anyway, rather
// than on the one that made the interpreter (the parser's recursion grew
// that goroutine's stack for this alone: 4 % of the agents' CPU in the
// 1,000-agent benchmark's profile). The source is a package clause cut
// short: yaegi parses it as a file as it is, and the parser gives up at
// its second token (")" was wrapped in a package and a func main and
// parsed twice over: 3 % of the agents' CPU, later).
func (x *Interp) name() {
	x.named.Do(func() { x.i.Compile("package") })
}

// Halt returns the interpreter's kill switch, which Kill throws: the
// caller binds to it the threads that run the script's code.
func (x *Interp) Halt() *halt.Switch { return x.halt }

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

func withoutMain(decls []ast.Decl) []ast.Decl {
	out := decls[:0]
	for _, d := range decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "main" {
			continue
		}
		out = append(out, d)
	}
	return out
}

// yaegiError turns an interpreter error into an ErrorList. Compile errors
// already carry file:line:col; a panic during evaluation keeps its value
// only, not yaegi's Go stack.
func yaegiError(err error) error {
	var p interp.Panic
	if errors.As(err, &p) {
		return ErrorList{{Msg: "panic: " + printable.Describe(p.Value)}}
	}
	return ErrorList{{Msg: err.Error()}}
}
