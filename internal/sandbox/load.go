package sandbox

import (
	"errors"
	"fmt"
	"go/ast"
	"io"
	"io/fs"
	"reflect"
	"strings"

	"github.com/traefik/yaegi/interp"

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
}

// A Script is a loaded script: its top-level declarations have been
// evaluated and its entry points extracted. Calling Remote or Local (and
// the handlers they register) runs the interpreter; a Script's functions
// must be called from one goroutine at a time.
type Script struct {
	Remote func(*script.Traces) // nil if the script has no Remote
	Local  func(*script.Traces) // nil if the script has no Local
}

// scriptSymbols exposes the script API: the two types scripts use, not the
// host-side functions of the package.
var scriptSymbols = map[string]reflect.Value{
	"Traces": reflect.ValueOf((*script.Traces)(nil)),
	"Trace":  reflect.ValueOf((*script.Trace)(nil)),
}

// emptyFS is the interpreter's source file system: nothing is ever loaded
// from disk.
type emptyFS struct{}

func (emptyFS) Open(name string) (fs.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// Load checks src (see Check), then evaluates it in a new interpreter and
// returns its entry points. A func main, which scripts may have for go
// build's sake, is left out. Errors are ErrorLists with positions where they
// are known.
func Load(filename string, src []byte, opts Options) (s *Script, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, ErrorList{{Msg: fmt.Sprintf("%s: the script interpreter failed: %v", filename, r)}}
		}
	}()
	i := interp.New(interp.Options{
		Stdin:                strings.NewReader(""),
		Stdout:               orDiscard(opts.Stdout),
		Stderr:               orDiscard(opts.Stderr),
		Args:                 []string{filename},
		Env:                  []string{},
		SourcecodeFilesystem: emptyFS{},
	})
	exports := interp.Exports{ScriptPackage + "/script": scriptSymbols}
	for k, v := range symbols.Tables() {
		exports[k] = v
	}
	if err := i.Use(exports); err != nil {
		return nil, fmt.Errorf("set up interpreter: %w", err)
	}
	f, err := check(i.FileSet(), filename, src)
	if err != nil {
		return nil, err
	}
	f.Decls = withoutMain(f.Decls)
	prog, err := i.CompileAST(f)
	if err != nil {
		return nil, yaegiError(err)
	}
	if _, err := i.Execute(prog); err != nil {
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
	return s, nil
}

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
		return ErrorList{{Msg: fmt.Sprintf("panic: %v", p.Value)}}
	}
	return ErrorList{{Msg: err.Error()}}
}
