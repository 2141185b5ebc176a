package sandbox

import (
	"errors"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"io"
	"reflect"
	"strconv"
	"time"
	"unsafe"

	"github.com/traefik/yaegi/interp"

	"github.com/jstrace-go/jstrace/internal/sandbox/halt"
	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/script"
)

// Bounded handlers compiled to Go closures.
//
// A bounded handler (inline.go) still costs yaegi's call: a couple of
// microseconds and 26 allocations when warm, tens of microseconds when the
// events are far apart and the interpreter's working set has left the
// caches (bench/README.md, "Handlers where their probe fires"). Most
// handlers are a few lines over numbers and strings: count, add a
// duration, keep a maximum, bump a map entry. compileHandler turns such a
// handler into a tree of Go closures, one per node, as a tree-walking
// interpreter does with no interpreter around it: the handler then costs
// what its operations cost.
//
// What compiles is a subset of what is bounded; everything else stays
// interpreted, with the same semantics:
//   - values of type int, int64, time.Duration, float64, string, bool,
//     time.Time, *script.Trace and *script.Traces; and, among the variables
//     the handler shares with the rest of the script, arrays, slices and
//     maps of them (int or string keys);
//   - if/else, switch (without fallthrough), blocks, return, assignments
//     (=, :=, op=, ++, --; several at once only to variables), var
//     declarations, and calls of script functions over such values with
//     at most one result, unnamed, that set no package variable (the
//     interpreter, as gc, reads a variable after the calls beside it,
//     g + inc(); compiled code where it stands);
//   - the Trace's fields and getters, traces.Emit, Log, Logf, Error and
//     Errorf, and the allowlisted natives whose signatures
//     compile_native.go knows, and those of several results that
//     compile_tuple.go knows (n, err := strconv.Atoi(s); an error is
//     compared with nil, passed on, or asked its Error());
//   - in Every callbacks (which may loop: inline.go), for and range
//     loops, break and continue (compile_loop.go), an Aggregation's Take,
//     Snapshot, Missing and Dropped, and the fields and methods of the
//     Groups ranged over (compile_other.go).
//
// Variables declared outside the handler (Remote's locals, package
// variables) are shared with the interpreted code through their
// addresses: the rewrite passes &v for each (guard.OnCompiled), and yaegi's
// variables live at a fixed address for their lifetime, so both sides
// read and write the same memory. The host calls a script's handlers one
// at a time (the engine's lock), compiled or not.

// A kind is how the compiled code holds a value.
type kind uint8

const (
	kInvalid kind = iota
	kInt          // int, int64, time.Duration: an int64
	kFloat        // float64
	kStr          // string
	kBool         // bool
	kTime         // time.Time
	kTrace        // *script.Trace
	kTraces       // *script.Traces
	kAgg          // *script.Aggregation (compile_other.go)
	kGroup        // script.Group: a range variable's
	kErr          // error: a native's second result's
)

// scalarKind returns how values of t are held, or kInvalid if they are not
// compiled. A 32-bit int would need wrapping at 32 bits: not compiled.
func scalarKind(t types.Type) kind {
	switch t := t.(type) {
	case *types.Basic:
		switch t.Kind() {
		case types.Int, types.UntypedInt, types.UntypedRune:
			if strconv.IntSize != 64 {
				return kInvalid
			}
			return kInt
		case types.Int64:
			return kInt
		case types.Float64, types.UntypedFloat:
			return kFloat
		case types.String, types.UntypedString:
			return kStr
		case types.Bool, types.UntypedBool:
			return kBool
		}
	case *types.Named:
		obj := t.Obj()
		if obj.Pkg() != nil && obj.Pkg().Path() == "time" {
			switch obj.Name() {
			case "Duration":
				return kInt
			case "Time":
				return kTime
			}
		}
	case *types.Pointer:
		switch scriptType(t) {
		case "Trace":
			return kTrace
		case "Traces":
			return kTraces
		case "Aggregation":
			return kAgg
		}
	}
	return otherKind(t)
}

// goType returns the Go type of values of the compiled type t, or nil.
func goType(t types.Type) reflect.Type {
	switch t := t.(type) {
	case *types.Basic:
		switch t.Kind() {
		case types.Int:
			if strconv.IntSize != 64 {
				return nil // a 32-bit int would need wrapping at 32 bits
			}
			return reflect.TypeFor[int]()
		case types.Int64:
			return reflect.TypeFor[int64]()
		case types.Float64:
			return reflect.TypeFor[float64]()
		case types.String:
			return reflect.TypeFor[string]()
		case types.Bool:
			return reflect.TypeFor[bool]()
		}
	case *types.Named:
		switch scalarKind(t) {
		case kInt:
			return reflect.TypeFor[time.Duration]()
		case kTime:
			return reflect.TypeFor[time.Time]()
		}
	case *types.Pointer:
		switch scalarKind(t) {
		case kTrace:
			return reflect.TypeFor[*script.Trace]()
		case kTraces:
			return reflect.TypeFor[*script.Traces]()
		case kAgg:
			return reflect.TypeFor[*script.Aggregation]()
		}
	case *types.Array:
		if e := goType(t.Elem()); e != nil {
			return reflect.ArrayOf(int(t.Len()), e)
		}
	case *types.Slice:
		if e := goType(t.Elem()); e != nil {
			return reflect.SliceOf(e)
		}
	case *types.Map:
		k, v := goType(t.Key()), goType(t.Elem())
		if k != nil && v != nil {
			return reflect.MapOf(k, v)
		}
	}
	return nil
}

// notCompiled is why a handler is not compiled: the first construct found
// outside the compiled subset.
type notCompiled struct {
	pos token.Pos
	msg string
}

func (e *notCompiled) Error() string { return e.msg }

// A handlerSpec is a bounded handler found compilable when the script was
// checked: what binding it to the variables it shares needs.
type handlerSpec struct {
	info     *types.Info
	decls    map[*types.Func]*ast.FuncDecl
	natives  func(path, name string) (reflect.Value, bool)
	params   *ast.FieldList
	body     *ast.BlockStmt
	captured []*types.Var    // the shared variables, in the order their addresses are passed
	loan     scripthost.Loan // what the handler does with its trace (see loanOf)
	halt     *halt.Switch    // the interpreter's, once bound: see halted
	name     string          // the handler's name in a panic's trail: main.Remote.func, main.f
	fset     *token.FileSet
	stderr   io.Writer // where a panic's trail goes, once bound; nil: nowhere
}

// A site is where compiled code runs: the statement last begun, and the
// function it is in, for a panic's trail.
type site struct {
	pos token.Pos
	fn  string
}

// compileHandler compiles the handler fn (a function literal or the
// declaration of a script function) of a traces.On call at callPos, with
// stand-in variables: it returns the spec to bind later and the shared
// variables, or why the handler does not compile. scope is the scope at
// the call, where each shared variable must be named by its own name.
// enclosing names the top-level function the call is in, for a panic's
// trail.
func compileHandler(info *types.Info, decls map[*types.Func]*ast.FuncDecl, natives func(path, name string) (reflect.Value, bool), fn ast.Node, scope *types.Scope, callPos token.Pos, enclosing string) (spec *handlerSpec, err error) {
	defer func() {
		if r := recover(); r != nil { // a compiler fault: the handler stays interpreted
			spec, err = nil, &notCompiled{fn.Pos(), fmt.Sprintf("the compiler failed: %v", r)}
		}
	}()
	spec = &handlerSpec{info: info, decls: decls, natives: natives}
	switch fn := fn.(type) {
	case *ast.FuncLit:
		spec.params, spec.body = fn.Type.Params, fn.Body
		spec.name = "main." + enclosing + ".func"
	case *ast.FuncDecl:
		spec.params, spec.body = fn.Type.Params, fn.Body
		spec.name = "main." + fn.Name.Name
	default:
		return nil, &notCompiled{fn.Pos(), "the handler is a function value"}
	}
	spec.loan = loanOf(info, spec.params, spec.body)
	c := spec.compiler(nil)
	if _, err := c.handler(); err != nil {
		return nil, err
	}
	for _, v := range c.captured {
		if scope == nil {
			return nil, &notCompiled{v.Pos(), "no scope at the call"}
		}
		if _, obj := scope.LookupParent(v.Name(), callPos); obj != v {
			return nil, &notCompiled{v.Pos(), fmt.Sprintf("%s is not in scope where the handler is registered", v.Name())}
		}
	}
	spec.captured = c.captured
	return spec, nil
}

// bind compiles the handler again over the shared variables at ptrs (the
// addresses the rewritten call passes, in spec.captured's order). A
// compiler fault is an error: the script then runs the interpreted
// function instead.
func (spec *handlerSpec) bind(ptrs []any) (h func(*script.Trace), err error) {
	defer func() {
		if r := recover(); r != nil {
			h, err = nil, fmt.Errorf("compiling: %v", r)
		}
	}()
	if spec.info == nil {
		return nil, errors.New("settled: the handler is interpreted")
	}
	if len(ptrs) != len(spec.captured) {
		return nil, fmt.Errorf("%d shared variables, want %d", len(ptrs), len(spec.captured))
	}
	at := make(map[*types.Var]unsafe.Pointer, len(ptrs))
	for i, v := range spec.captured {
		want := goType(v.Type())
		got := reflect.TypeOf(ptrs[i])
		if want == nil || got == nil || got != reflect.PointerTo(want) {
			return nil, fmt.Errorf("%s: a %v, want a pointer to %v", v.Name(), got, want)
		}
		at[v] = reflect.ValueOf(ptrs[i]).UnsafePointer()
	}
	c := spec.compiler(at)
	return c.handler()
}

func (spec *handlerSpec) compiler(at map[*types.Var]unsafe.Pointer) *compiler {
	return &compiler{spec: spec, info: spec.info, at: at, vars: map[*types.Var]*cell{}, cur: new(*site), fnName: spec.name}
}

// A compiler turns one handler, and the script functions it calls, into
// closures.
type compiler struct {
	spec     *handlerSpec
	info     *types.Info
	at       map[*types.Var]unsafe.Pointer // shared variables' addresses; nil when only checking
	vars     map[*types.Var]*cell          // every variable met so far
	captured []*types.Var                  // shared variables, in the order met
	fn       *funcCtx                      // the function being compiled
	cur      **site                        // the site running now, set by each statement
	fields   *fields                       // the handler's trace's fields it reads in one pass, if it borrows the trace
	fnName   string                        // the name of the function being compiled
	loop     *loop                         // the innermost loop of that function around what is compiled, if any
}

// funcCtx is the function whose body is being compiled: where return
// puts its result.
type funcCtx struct {
	result *cell // nil if it has none
	nested bool  // a script function the handler calls, not the handler
}

// A cell is a variable's storage: p points to an int64, float64, string,
// bool, time.Time, *script.Trace or *script.Traces (by k), or, for the
// shared containers, to the array, slice or map.
type cell struct {
	k   kind
	typ types.Type
	p   unsafe.Pointer
}

func (c *compiler) fail(n ast.Node, format string, args ...any) error {
	return &notCompiled{n.Pos(), fmt.Sprintf(format, args...)}
}

// newCell allocates storage for a variable of type t held as k.
func newCell(t types.Type, k kind) *cell {
	var p unsafe.Pointer
	switch k {
	case kInt:
		p = unsafe.Pointer(new(int64))
	case kFloat:
		p = unsafe.Pointer(new(float64))
	case kStr:
		p = unsafe.Pointer(new(string))
	case kBool:
		p = unsafe.Pointer(new(bool))
	default:
		if ops := others[k]; ops != nil {
			p = ops.alloc()
		}
	}
	return &cell{k: k, typ: t, p: p}
}

// local declares a variable of the code being compiled.
func (c *compiler) local(n ast.Node, v *types.Var) (*cell, error) {
	k := scalarKind(v.Type())
	if k == kInvalid {
		return nil, c.fail(n, "a local variable of type %s", v.Type())
	}
	cl := newCell(v.Type(), k)
	c.vars[v] = cl
	return cl, nil
}

// variable returns the cell of v: a local already declared, or a shared
// variable, met now for the first time.
func (c *compiler) variable(n ast.Node, v *types.Var) (*cell, error) {
	if cl := c.vars[v]; cl != nil {
		return cl, nil
	}
	if goType(v.Type()) == nil {
		return nil, c.fail(n, "%s has type %s", v.Name(), v.Type())
	}
	cl := &cell{k: scalarKind(v.Type()), typ: v.Type()}
	if c.at != nil {
		cl.p = c.at[v]
		if cl.p == nil {
			return nil, c.fail(n, "%s was not bound", v.Name())
		}
	} else {
		cl.p = reflect.New(goType(v.Type())).UnsafePointer()
	}
	c.vars[v] = cl
	c.captured = append(c.captured, v)
	return cl, nil
}

// handler compiles the handler's body into the function the host calls.
func (c *compiler) handler() (func(*script.Trace), error) {
	var tp *cell
	if ps := c.spec.params.List; len(ps) == 1 && len(ps[0].Names) == 1 {
		if v, ok := c.info.Defs[ps[0].Names[0]].(*types.Var); ok {
			var err error
			if tp, err = c.local(ps[0], v); err != nil {
				return nil, err
			}
			if c.spec.loan.Borrows {
				c.fields = &fields{param: v}
			}
		}
	}
	c.fn = &funcCtx{}
	body, err := c.block(c.spec.body.List)
	if err != nil {
		return nil, err
	}
	f := c.fields.ready()
	var tptr **script.Trace
	if tp != nil {
		tptr = (**script.Trace)(tp.p)
	}
	cur, spec := c.cur, c.spec
	return func(t *script.Trace) {
		if tptr != nil {
			*tptr = t
		}
		*cur = nil
		defer func() { // one defer a call: this is the hot path
			if tptr != nil {
				*tptr = nil // keep no trace alive between calls
			}
			if f != nil && f.done {
				clear(f.vals) // nor its record
				f.done = false
			}
			if r := recover(); r != nil {
				spec.trail(*cur)
				panic(r)
			}
		}()
		body()
	}, nil
}

// trail writes what the interpreter writes on its standard error when a
// panic unwinds a frame ("file:line:col: panic: main.Remote.func(...)"),
// which the engine reads the panic's position from; the position is the
// statement's that panicked.
func (spec *handlerSpec) trail(at *site) {
	if spec.stderr == nil || spec.fset == nil || at == nil {
		return
	}
	fmt.Fprintf(spec.stderr, "%s: panic: %s(...)\n", spec.fset.Position(at.pos), at.fn)
}

// native returns the function name of package path as this interpreter's
// script sees it (the table useImports handed over: fmt's printing to the
// script's output, the guarded versions of the others).
func (x *Interp) native(path, name string) (reflect.Value, bool) {
	v, ok := x.used[path][name]
	return v, ok && path != ScriptPackage && v.Kind() == reflect.Func
}

// nativesOf returns the lookup of the function name of an allowlisted
// package path as a script printing to stdout sees it, for vet: the
// tables an interpreter would be handed.
func nativesOf(stdout io.Writer) func(path, name string) (reflect.Value, bool) {
	tables := map[string]map[string]reflect.Value{} // fmt's is made for stdout: once
	return func(path, name string) (reflect.Value, bool) {
		if !allowed(path) || path == ScriptPackage {
			return reflect.Value{}, false
		}
		t, ok := tables[path]
		if !ok {
			_, t = table(path, stdout)
			tables[path] = t
		}
		v, ok := t[name]
		return v, ok && v.Kind() == reflect.Func
	}
}

// useCompiled hands the interpreter guard.OnCompiled, which binds the
// compiled handler k of specs to the variables it shares with the script
// (at ptrs) as the script registers it, and registers it as bounded, with
// what it does with its trace (loanOf): the interpreted function fn,
// bounded and lent nothing, if binding fails. And guard.EveryCompiled,
// the same for an Every callback: the interpreted fn if binding fails.
func (x *Interp) useCompiled(specs []*handlerSpec) error {
	for _, spec := range specs {
		spec.halt, spec.fset, spec.stderr = x.halt, x.i.FileSet(), x.stderr
	}
	x.specs = specs
	bind := func(k int, ptrs []any) func(*script.Trace) {
		if k < 0 || k >= len(x.specs) {
			return nil
		}
		h, err := x.specs[k].bind(ptrs)
		if err != nil {
			return nil
		}
		return h
	}
	// A compiled function counts once its host has it: the receiver is
	// the script's expression, and a Traces the script made itself (no
	// host) panics, which the script may recover from (see Releasable).
	onCompiled := func(t *script.Traces, pattern string, fn func(*script.Trace), k int, ptrs ...any) {
		if h := bind(k, ptrs); h != nil {
			scripthost.OnBounded(t, pattern, h, x.specs[k].loan)
			x.handlers.Add(1)
			x.bound.Add(1)
			return
		}
		scripthost.OnBounded(t, pattern, fn, scripthost.Loan{})
	}
	everyCompiled := func(t *script.Traces, d time.Duration, fn func(), k int, ptrs ...any) {
		if h := bind(k, ptrs); h != nil {
			t.Every(d, func() { h(nil) })
			x.bound.Add(1)
			return
		}
		t.Every(d, fn)
	}
	return x.i.Use(interp.Exports{guardPath + "/guard": {"OnCompiled": reflect.ValueOf(onCompiled), "EveryCompiled": reflect.ValueOf(everyCompiled)}})
}

// settle lets go of what compiling handlers needs once the script's entry
// point has run, where scripts register their handlers: the check's types
// and the cache of the host's they belong to (hostCache), which every
// collection of the service would otherwise mark again while the session
// lasts. A handler registered later (from an Every callback, say) runs
// interpreted, bounded as before: the same semantics, at the
// interpreter's cost.
func (x *Interp) settle() {
	for _, spec := range x.specs {
		spec.info, spec.decls, spec.natives, spec.params, spec.body, spec.captured = nil, nil, nil, nil, nil, nil
	}
	x.specs, x.host = nil, nil
	for path := range x.used {
		x.used[path] = nil // handed over (yaegi copied it); compiling natives no more
	}
}

// CompiledHandlers returns how many handlers the script registered so far
// run as compiled code.
func (x *Interp) CompiledHandlers() int { return int(x.handlers.Load()) }

// CompiledCallbacks returns how many functions the script handed its host
// so far are compiled code: handlers and Every callbacks, each counted
// once the host's On or Every returned.
func (x *Interp) CompiledCallbacks() int { return int(x.bound.Load()) }

// Releasable reports whether, handed functions in all by the script
// (what its host's On, OnBounded, Every and OnCleanup were called with,
// counted as they are called), the host may let go of the interpreter:
// they are all compiled code, and the script imports no package of the
// service's (Options.Packages), whose functions might keep one of the
// script's to call later. No interpreted code can then run any more (only
// the host calls into the script, through those), and the compiled code
// stops at the Halt switch, which outlives the interpreter. Call it
// between calls into the script.
func (x *Interp) Releasable(handed int) bool {
	return !x.foreign && handed == int(x.bound.Load())
}
