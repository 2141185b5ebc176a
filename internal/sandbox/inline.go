package sandbox

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"io"
	"reflect"
	"strconv"
)

// Handlers that end by construction run where their probe fires.
//
// A handler queued for the engine goroutine costs the traced process a
// hand-off per pass (the pump, the engine, its watchdog: wake-ups of idle
// threads, each tens of microseconds), which events that come one at a
// time pay each. DTrace runs its actions in probe context because D has
// no loops; scripts are Go, but many handlers are as simple: count, add
// to a map, keep a maximum. inlineHandlers finds the traces.On calls whose
// handler the checker can prove ends after a bounded number of steps, with
// nothing the watchdog would have to stop, and rewrites them to register
// the handler as such (guard.OnBounded); the host may then call it on the
// goroutine that fires the probe, when nothing is queued before it (see
// engine.Engine.Inline).
//
// A handler is bounded when the code it can run — its body, and the
// script functions it calls, transitively — has:
//   - no loop (for, range) and no goto;
//   - no call of a function value (a closure, a func variable or field, a
//     method value): calls name a script function or a native one;
//   - no recursion, and at most maxInlineSteps syntax nodes counted along
//     every call (f calling g twice counts g twice);
//   - no call of a native function that takes a function or an interface
//     with methods (it may call it in a loop: sort.Slice, strings.Map,
//     Buffer.ReadFrom), nor of a package outside inlinePackages (sort and
//     json take time that grows with their input; slices and cmp are
//     interpreted loops), nor of a method of package script other than a
//     Trace's and scriptCalls (On, Aggregate, Every take the probe
//     registry's lock, which the probe's caller may hold);
//
// and the script declares no methods (natives call them through
// interfaces — fmt calling String — where no call site shows it), nor
// imports a package the service opted in (its values' methods are the
// service's code, which may take a lock the probe's caller holds).
// Goroutines, channels and select are refused in every script already.
//
// An Every callback is held to the same rules but for loops, which it
// may have (and an Aggregation's Take, Snapshot, Missing and Dropped,
// which it may call): it runs on the script's goroutine, under the
// watchdog, and compiled loops check the Halt switch each iteration. Those
// that compile run as compiled code too.
//
// What natives cost grows with the data they are given (fmt of a large
// map): the host times each call and queues a handler whose call took too
// long from then on.

// maxInlineSteps bounds the syntax nodes a bounded handler may run, calls
// expanded: a few microseconds to some tens of interpretation.
const maxInlineSteps = 2000

// inlinePackages are the packages whose functions a bounded handler may
// call: each call's cost is bounded by its arguments' size.
var inlinePackages = map[string]bool{
	ScriptPackage: true, "strings": true, "strconv": true, "bytes": true,
	"math": true, "math/bits": true, "math/rand": true, "time": true,
	"fmt": true, "errors": true, "unicode": true, "unicode/utf8": true,
	"unicode/utf16": true, "hash/crc32": true, "hash/fnv": true,
	"encoding/hex": true, "encoding/base64": true, "html": true, "path": true,
}

// inlineHandlers rewrites the traces.On calls of f whose handler is
// bounded into guard.OnBounded calls, and reports whether it rewrote any.
// Those whose handler also compiles (compile.go), with natives from
// natives, get it compiled: guard.OnCompiled(traces, p, fn, k, &v...),
// where k indexes the returned specs and the v are the variables the
// handler shares with the script. So do the traces.Every calls whose
// callback is bounded and compiles: guard.EveryCompiled(traces, d, fn, k,
// &v...). A script whose callbacks all compile runs no interpreted code
// once its entry point has returned, and its host may let go of the
// interpreter (see Interp.Releasable).
func inlineHandlers(f *ast.File, info *types.Info, natives func(path, name string) (reflect.Value, bool)) (found bool, specs []*handlerSpec) {
	if info == nil {
		return false, nil
	}
	places, decls := placeHandlers(nil, f, info)
	for _, p := range places {
		if !p.inline {
			continue
		}
		call := p.call
		sel := call.Fun.(*ast.SelectorExpr)
		if !p.every {
			// traces.On(p, fn) → guard.OnBounded(traces, p, fn), positions kept.
			toGuard(call, sel, "OnBounded")
			found = true
		}
		if natives == nil || p.fn == nil {
			continue
		}
		spec, err := compileHandler(info, decls, natives, p.fn, scopeAt(info, f, call.Pos()), call.Pos(), enclosingFunc(f, call.Pos()))
		if err != nil {
			continue // interpreted
		}
		if p.every {
			// traces.Every(d, fn) → guard.EveryCompiled(traces, d, fn, k, &v...).
			toGuard(call, sel, "EveryCompiled")
			found = true
		} else {
			call.Fun.(*ast.SelectorExpr).Sel.Name = "OnCompiled"
		}
		fn := call.Args[2]
		call.Args = append(call.Args, &ast.BasicLit{ValuePos: fn.Pos(), Kind: token.INT, Value: strconv.Itoa(len(specs))})
		for _, v := range spec.captured {
			call.Args = append(call.Args, &ast.UnaryExpr{OpPos: fn.Pos(), Op: token.AND, X: &ast.Ident{NamePos: fn.Pos(), Name: v.Name()}})
		}
		specs = append(specs, spec)
	}
	return found, specs
}

// toGuard rewrites call, traces.M(args) with sel its traces.M, into
// guard.name(traces, args), positions kept.
func toGuard(call *ast.CallExpr, sel *ast.SelectorExpr, name string) {
	call.Fun = &ast.SelectorExpr{X: &ast.Ident{NamePos: sel.Pos(), Name: guardName}, Sel: &ast.Ident{NamePos: sel.Sel.Pos(), Name: name}}
	call.Args = append([]ast.Expr{sel.X}, call.Args...)
}

// scopeAt returns the innermost scope of f at pos, from the package's
// scope tree (which the type checker builds whether or not Info records
// its scopes); nil if not found.
func scopeAt(info *types.Info, f *ast.File, pos token.Pos) *types.Scope {
	obj := info.Defs[f.Name] // the package name has none: take a declaration's
	if obj == nil {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok {
				obj = info.Defs[fd.Name]
				break
			}
		}
	}
	if obj == nil || obj.Pkg() == nil {
		return nil
	}
	return obj.Pkg().Scope().Innermost(pos)
}

// enclosingFunc names the top-level function of f that pos is in.
func enclosingFunc(f *ast.File, pos token.Pos) string {
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Pos() <= pos && pos < fd.End() {
			return fd.Name.Name
		}
	}
	return ""
}

// A placement is where the handler of one traces.On call runs, or
// whether the callback of one traces.Every call is bounded, loops
// allowed (every).
type placement struct {
	call   *ast.CallExpr
	fn     ast.Node // the handler: a function literal or a script function's declaration; nil for a value
	inline bool
	why    string // if not: the first reason found, with its position if fset was given
	every  bool   // a traces.Every call: inline says its callback is bounded
}

// placeHandlers says, for each traces.On and traces.Every call of f,
// whether its handler is bounded, and if not why. fset, if not nil, positions the reasons.
// It also returns the script's function declarations.
func placeHandlers(fset *token.FileSet, f *ast.File, info *types.Info) ([]placement, map[*types.Func]*ast.FuncDecl) {
	b := bounds{fset: fset, info: info, decls: map[*types.Func]*ast.FuncDecl{}, steps: map[*types.Func]int{}, whys: map[*types.Func]string{}}
	// Every callbacks run on the script's goroutine, under the watchdog:
	// theirs may loop (compiled loops check the Halt switch each
	// iteration); the rest of the rules hold, recursion included (calls
	// of script functions are compiled where they are made).
	bl := bounds{fset: fset, info: info, decls: b.decls, steps: map[*types.Func]int{}, whys: map[*types.Func]string{}, loops: true}
	var whole string // a reason that holds for the whole script
	for _, spec := range f.Imports {
		if path, ok := importPath(spec); !ok || !allowed(path) {
			whole = b.at(spec.Pos(), "the script imports a package of the service's (natives would call its code)")
			break
		}
	}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		if fd.Recv != nil && whole == "" {
			whole = b.at(fd.Pos(), "the script declares methods (natives may call them unseen, as fmt calls String)")
		}
		if fn, ok := info.Defs[fd.Name].(*types.Func); ok && fd.Body != nil {
			b.decls[fn] = fd
		}
	}
	var out []placement
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) != 2 || call.Ellipsis.IsValid() {
			return true
		}
		method := b.tracesMethod(call)
		if method != "On" && method != "Every" {
			return true
		}
		p := placement{call: call, why: whole, every: method == "Every"}
		b, what := &b, "the handler"
		if p.every {
			b, what = &bl, "the callback"
		}
		if p.why == "" {
			var steps int
			switch h := ast.Unparen(call.Args[1]).(type) {
			case *ast.FuncLit:
				p.fn = h
				steps, p.why = b.body(h.Body)
			case *ast.Ident:
				if fn, ok := info.Uses[h].(*types.Func); ok && b.decls[fn] != nil {
					p.fn = b.decls[fn]
					steps, p.why = b.fn(fn)
				} else {
					p.why = b.at(h.Pos(), what+" is a function value")
				}
			default:
				p.why = b.at(h.Pos(), what+" is a function value")
			}
			if p.why == "" && steps > maxInlineSteps {
				p.why = b.at(call.Args[1].Pos(), fmt.Sprintf("%s may run more than %d steps", what, maxInlineSteps))
			}
		}
		p.inline = p.why == ""
		out = append(out, p)
		return true
	})
	return out, b.decls
}

// bounds measures what script code may run.
type bounds struct {
	fset  *token.FileSet
	info  *types.Info
	decls map[*types.Func]*ast.FuncDecl // the script's functions
	steps map[*types.Func]int           // their cost, once known; unbounded while being measured
	whys  map[*types.Func]string        // why a function is unbounded, if it is
	loops bool                          // loops are allowed: an Every callback's code
}

// at returns msg at pos, if positions are wanted.
func (b *bounds) at(pos token.Pos, msg string) string {
	if b.fset == nil || !pos.IsValid() {
		return msg
	}
	return fmt.Sprintf("%s: %s", b.fset.Position(pos), msg)
}

// unbounded is a cost above any limit; costs add up saturating at it.
const unbounded = maxInlineSteps + 1

func add(a, b int) int { return min(a+b, unbounded) }

// tracesMethod returns the name of the method of *script.Traces that call
// calls, or "".
func (b *bounds) tracesMethod(call *ast.CallExpr) string {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	fn, ok := b.info.Uses[sel.Sel].(*types.Func)
	if !ok || fn.Pkg() == nil || fn.Pkg().Path() != ScriptPackage {
		return ""
	}
	recv := fn.Type().(*types.Signature).Recv()
	// The receiver expression itself, not a struct embedding it: the
	// rewrite passes it as the *script.Traces argument.
	if recv == nil || !isTraces(recv.Type()) || !isTraces(b.info.TypeOf(sel.X)) {
		return ""
	}
	return fn.Name()
}

// isTraces reports whether t is *script.Traces.
func isTraces(t types.Type) bool { return scriptType(t) == "Traces" }

// scriptType returns the name of the type of package script that t
// points to, or "".
func scriptType(t types.Type) string {
	ptr, ok := t.(*types.Pointer)
	if !ok {
		return ""
	}
	named, ok := ptr.Elem().(*types.Named)
	if !ok || named.Obj().Pkg() == nil || named.Obj().Pkg().Path() != ScriptPackage {
		return ""
	}
	return named.Obj().Name()
}

// scriptCalls are the methods of package script a bounded handler may
// call besides a Trace's: none changes what the session subscribes to or
// registers (On, Aggregate, Every, Ship take the registry's lock, which a
// service may hold where a probe fires).
var scriptCalls = map[string]bool{
	"Emit": true, "Log": true, "Logf": true, "Error": true, "Errorf": true,
	"Dump": true, "Dir": true, "Args": true,
}

// everyCalls are the methods of an Aggregation an Every callback may
// call besides: what it reads of its groups (Take and Snapshot sort
// them, in time that grows with their number: not where probes fire).
var everyCalls = map[string]bool{"Take": true, "Snapshot": true, "Missing": true, "Dropped": true}

// scriptAllowed reports whether fn, of package script, may be called;
// every: from an Every callback.
func scriptAllowed(fn *types.Func, every bool) bool {
	recv := fn.Type().(*types.Signature).Recv()
	if recv == nil {
		return false
	}
	if n, ok := recv.Type().(*types.Named); ok && n.Obj().Name() == "Group" {
		return every // a Group's reads (Merge's receiver is a pointer); Buckets and String allocate
	}
	switch scriptType(recv.Type()) {
	case "Trace":
		return true
	case "Traces":
		return scriptCalls[fn.Name()]
	case "Aggregation":
		return every && everyCalls[fn.Name()]
	}
	return false
}

// fn returns the cost of the script function fn (what its body runs),
// and why it is unbounded if it is.
func (b *bounds) fn(fn *types.Func) (int, string) {
	if s, ok := b.steps[fn]; ok {
		if s >= unbounded && b.whys[fn] == "" {
			return s, b.at(b.decls[fn].Pos(), fmt.Sprintf("%s calls itself, through the functions it calls", fn.Name()))
		}
		return s, b.whys[fn] // known, or being measured: recursion
	}
	b.steps[fn] = unbounded
	s, why := b.body(b.decls[fn].Body)
	b.steps[fn], b.whys[fn] = s, why
	return s, why
}

// body returns the cost of running n once (its nodes, and each call's
// callee's cost), and why it is unbounded if it is.
func (b *bounds) body(n ast.Node) (int, string) {
	steps, why := 0, ""
	stop := func(pos token.Pos, reason string) {
		steps = unbounded
		if why == "" {
			why = b.at(pos, reason)
		}
	}
	ast.Inspect(n, func(n ast.Node) bool {
		if steps >= unbounded || n == nil {
			return false
		}
		steps++
		switch n := n.(type) {
		case *ast.ForStmt, *ast.RangeStmt:
			if !b.loops {
				stop(n.Pos(), "a loop")
			}
		case *ast.BranchStmt:
			if n.Tok == token.GOTO {
				stop(n.Pos(), "goto")
			}
		case *ast.FuncLit:
			return false // defined here, run only if called: calls of values are refused
		case *ast.CallExpr:
			c, cwhy := b.call(n)
			if c >= unbounded {
				stop(n.Pos(), cwhy)
			}
			steps = add(steps, c)
		}
		return true
	})
	if steps >= unbounded && why == "" {
		why = b.at(n.Pos(), fmt.Sprintf("more than %d steps", maxInlineSteps))
	}
	return steps, why
}

// call returns the cost of what call runs besides its arguments: nothing
// for conversions and builtins, the callee's cost for a script function;
// unbounded, and why, for a function value or a native off the list.
func (b *bounds) call(call *ast.CallExpr) (int, string) {
	if tv, ok := b.info.Types[call.Fun]; ok && tv.IsType() {
		return 0, ""
	}
	var id *ast.Ident
	switch f := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		id = f
	case *ast.SelectorExpr:
		id = f.Sel
	case *ast.IndexExpr, *ast.IndexListExpr:
		return unbounded, "a call of a generic function (interpreted source)"
	default:
		return unbounded, "a call of a function value"
	}
	switch obj := b.info.Uses[id].(type) {
	case *types.Builtin:
		return 0, ""
	case *types.Func:
		if b.decls[obj] != nil {
			c, why := b.fn(obj)
			if c >= unbounded && why != "" {
				why = fmt.Sprintf("a call of %s, which has %s", obj.Name(), why)
			}
			return c, why
		}
		if obj.Pkg() == nil {
			return 0, "" // error's Error: the script declares no methods, so a native's
		}
		name := obj.Pkg().Name() + "." + obj.Name()
		switch {
		case !inlinePackages[obj.Pkg().Path()]:
			return unbounded, fmt.Sprintf("a call of %s (package %s may take time that grows with its input)", name, obj.Pkg().Path())
		case callsBack(obj.Type().(*types.Signature)):
			return unbounded, fmt.Sprintf("a call of %s, which takes a function or an interface it may call", name)
		case obj.Pkg().Path() == ScriptPackage && !scriptAllowed(obj, b.loops):
			return unbounded, fmt.Sprintf("a call of %s, not one of package script's a handler may make where its probe fires", obj.Name())
		}
		return 0, ""
	default:
		return unbounded, "a call of a function value"
	}
}

// callsBack reports whether a parameter of sig is, or holds, a function or
// an interface with methods (an io.Reader: a Buffer may be made to read
// from itself for ever): what the callee may call, maybe in a loop.
// Values of the empty interface (fmt's) have no methods a script could
// have written: it declares none.
func callsBack(sig *types.Signature) bool {
	for v := range sig.Params().Variables() {
		t := v.Type()
		if s, ok := t.Underlying().(*types.Slice); ok {
			t = s.Elem()
		}
		switch u := t.Underlying().(type) {
		case *types.Signature:
			return true
		case *types.Interface:
			if u.NumMethods() > 0 {
				return true
			}
		}
	}
	return false
}

// A HandlerPlace is where an agent runs the handler of one traces.On call
// of Remote: where its probe fires, or on the script's goroutine, and why.
// Or, Every, whether the callback of one traces.Every call compiles.
type HandlerPlace struct {
	Pos    token.Position // of the traces.On or traces.Every call
	Every  bool           // a traces.Every call: Inline says it is bounded, loops allowed
	Inline bool           // where its probe fires, when nothing is queued before it
	Why    string         // if not Inline: the first thing found that keeps it from it, positioned
	// Compiled says that an Inline handler runs as compiled code, not
	// interpreted; NotCompiled, if not, the first thing found that keeps
	// it from, positioned.
	Compiled    bool
	NotCompiled string
}

// Handlers checks src as Check does, then says where an agent runs the
// handler of each traces.On call outside Local, and whether each
// traces.Every callback compiles (see docs/scripts.md, "Where handlers
// run").
func Handlers(filename string, src []byte) ([]HandlerPlace, error) {
	fset := token.NewFileSet()
	ck, err := check(fset, filename, src, policy{remoteMarked: true})
	if err != nil {
		return nil, err
	}
	var local ast.Node
	for _, d := range ck.file.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "Local" {
			local = fd
		}
	}
	var out []HandlerPlace
	places, decls := placeHandlers(fset, ck.file, ck.info)
	natives := nativesOf(io.Discard)
	for _, p := range places {
		if local != nil && p.call.Pos() >= local.Pos() && p.call.End() <= local.End() {
			continue // Local's run in the CLI
		}
		hp := HandlerPlace{Pos: fset.Position(p.call.Pos()), Inline: p.inline, Why: p.why, Every: p.every}
		if p.inline {
			_, err := compileHandler(ck.info, decls, natives, p.fn, scopeAt(ck.info, ck.file, p.call.Pos()), p.call.Pos(), enclosingFunc(ck.file, p.call.Pos()))
			hp.Compiled = err == nil
			if nc, ok := err.(*notCompiled); ok {
				hp.NotCompiled = fmt.Sprintf("%s: %s", fset.Position(nc.pos), nc.msg)
			}
		}
		out = append(out, hp)
	}
	return out, nil
}
