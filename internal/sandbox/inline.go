package sandbox

import (
	"go/ast"
	"go/token"
	"go/types"
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
func inlineHandlers(f *ast.File, info *types.Info) bool {
	if info == nil {
		return false
	}
	for _, spec := range f.Imports {
		if path, err := strconv.Unquote(spec.Path.Value); err != nil || !allowed(path) {
			return false // a service's own package: its values' methods are the service's code
		}
	}
	b := bounds{info: info, decls: map[*types.Func]*ast.FuncDecl{}, steps: map[*types.Func]int{}}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		if fd.Recv != nil {
			return false // see above: natives may call methods
		}
		if fn, ok := info.Defs[fd.Name].(*types.Func); ok && fd.Body != nil {
			b.decls[fn] = fd
		}
	}
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) != 2 || call.Ellipsis.IsValid() || !b.isOn(call) {
			return true
		}
		var steps int
		switch h := ast.Unparen(call.Args[1]).(type) {
		case *ast.FuncLit:
			steps = b.body(h.Body)
		case *ast.Ident:
			fn, ok := info.Uses[h].(*types.Func)
			if !ok || b.decls[fn] == nil {
				return true
			}
			steps = b.fn(fn)
		default:
			return true
		}
		if steps > maxInlineSteps {
			return true
		}
		sel := call.Fun.(*ast.SelectorExpr)
		// traces.On(p, fn) → guard.OnBounded(traces, p, fn), positions kept.
		call.Fun = &ast.SelectorExpr{X: &ast.Ident{NamePos: sel.Pos(), Name: guardName}, Sel: &ast.Ident{NamePos: sel.Sel.Pos(), Name: "OnBounded"}}
		call.Args = append([]ast.Expr{sel.X}, call.Args...)
		found = true
		return true
	})
	return found
}

// bounds measures what script code may run.
type bounds struct {
	info  *types.Info
	decls map[*types.Func]*ast.FuncDecl // the script's functions
	steps map[*types.Func]int           // their cost, once known; unbounded while being measured
}

// unbounded is a cost above any limit; costs add up saturating at it.
const unbounded = maxInlineSteps + 1

func add(a, b int) int { return min(a+b, unbounded) }

// isOn reports whether call is a call of the On method of *script.Traces.
func (b *bounds) isOn(call *ast.CallExpr) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "On" {
		return false
	}
	fn, ok := b.info.Uses[sel.Sel].(*types.Func)
	if !ok || fn.Pkg() == nil || fn.Pkg().Path() != ScriptPackage {
		return false
	}
	recv := fn.Type().(*types.Signature).Recv()
	if recv == nil {
		return false
	}
	// The receiver expression itself, not a struct embedding it: the
	// rewrite passes it as the *script.Traces argument.
	return isTraces(recv.Type()) && isTraces(b.info.TypeOf(sel.X))
}

// isTraces reports whether t is *script.Traces.
func isTraces(t types.Type) bool {
	ptr, ok := t.(*types.Pointer)
	if !ok {
		return false
	}
	named, ok := ptr.Elem().(*types.Named)
	return ok && named.Obj().Name() == "Traces" && named.Obj().Pkg() != nil && named.Obj().Pkg().Path() == ScriptPackage
}

// scriptCalls are the methods of package script a bounded handler may
// call besides a Trace's: none changes what the session subscribes to or
// registers (On, Aggregate, Every, Ship take the registry's lock, which a
// service may hold where a probe fires).
var scriptCalls = map[string]bool{
	"Emit": true, "Log": true, "Logf": true, "Error": true, "Errorf": true,
	"Dump": true, "Dir": true, "Args": true,
}

// scriptAllowed reports whether fn, of package script, may be called.
func scriptAllowed(fn *types.Func) bool {
	recv := fn.Type().(*types.Signature).Recv()
	if recv == nil {
		return false
	}
	ptr, ok := recv.Type().(*types.Pointer)
	if !ok {
		return false
	}
	named, ok := ptr.Elem().(*types.Named)
	if !ok {
		return false
	}
	switch named.Obj().Name() {
	case "Trace":
		return true
	case "Traces":
		return scriptCalls[fn.Name()]
	}
	return false
}

// fn returns the cost of the script function fn: what its body runs.
func (b *bounds) fn(fn *types.Func) int {
	if s, ok := b.steps[fn]; ok {
		return s // known, or being measured: recursion
	}
	b.steps[fn] = unbounded
	s := b.body(b.decls[fn].Body)
	b.steps[fn] = s
	return s
}

// body returns the cost of running n once: its nodes, and each call's
// callee's cost.
func (b *bounds) body(n ast.Node) int {
	steps := 0
	ast.Inspect(n, func(n ast.Node) bool {
		if steps >= unbounded || n == nil {
			return false
		}
		steps++
		switch n := n.(type) {
		case *ast.ForStmt, *ast.RangeStmt:
			steps = unbounded
		case *ast.BranchStmt:
			if n.Tok == token.GOTO {
				steps = unbounded
			}
		case *ast.FuncLit:
			return false // defined here, run only if called: calls of values are refused
		case *ast.CallExpr:
			steps = add(steps, b.call(n))
		}
		return true
	})
	return steps
}

// call returns the cost of what call runs besides its arguments: nothing
// for conversions and builtins, the callee's cost for a script function;
// unbounded for a function value or a native off the list.
func (b *bounds) call(call *ast.CallExpr) int {
	if tv, ok := b.info.Types[call.Fun]; ok && tv.IsType() {
		return 0
	}
	var id *ast.Ident
	switch f := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		id = f
	case *ast.SelectorExpr:
		id = f.Sel
	case *ast.IndexExpr, *ast.IndexListExpr:
		return unbounded // an instantiated generic function: interpreted source
	default:
		return unbounded
	}
	switch obj := b.info.Uses[id].(type) {
	case *types.Builtin:
		return 0
	case *types.Func:
		if b.decls[obj] != nil {
			return b.fn(obj)
		}
		if obj.Pkg() == nil {
			return 0 // error's Error: the script declares no methods, so a native's
		}
		if obj.Pkg() == nil || !inlinePackages[obj.Pkg().Path()] || callsBack(obj.Type().(*types.Signature)) {
			return unbounded
		}
		if obj.Pkg().Path() == ScriptPackage && !scriptAllowed(obj) {
			return unbounded
		}
		return 0
	default:
		return unbounded // a variable, a field: a function value
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
