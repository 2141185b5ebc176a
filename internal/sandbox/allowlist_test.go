package sandbox

import (
	"io"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/jstrace-go/jstrace/internal/sandbox/symbols"
	"github.com/jstrace-go/jstrace/internal/scripthost"
)

// Every function and method a script can reach that takes an interface
// argument (a value native code may recurse over: fmt, encoding/json,
// errors) or a function (a callback native code may loop over), found by
// reflection over the symbol tables and the types their functions, methods
// and fields lead to, must be guarded (a function of this module: package
// guard, the safe fmt, the callback wrappers) or reviewed here, with the
// reason it is safe. A new package or Go version that adds one fails this
// test until it is looked at.
var reviewed = map[string]string{
	// Script types implementing these interfaces reach native code
	// through the generated wrappers of package symbols, whose methods
	// call halt.Check: after a kill, the native loop unwinds at its next
	// call (TestNativeLoopsUnwindAfterKill). Before it, the loops run
	// under the watchdog. Values pushed are stored, not walked.
	"container/heap.Fix":            "sort/heap loop over script methods: halt.Check in the wrappers",
	"container/heap.Init":           "as heap.Fix",
	"container/heap.Pop":            "as heap.Fix",
	"container/heap.Push":           "as heap.Fix; the pushed value is handed to the script's Push, not walked",
	"container/heap.Remove":         "as heap.Fix",
	"container/heap.Interface.Push": "a script method, called by heap.Push",
	"sort.IsSorted":                 "as heap.Fix",
	"sort.Reverse":                  "wraps a sort.Interface; as heap.Fix",
	"sort.Sort":                     "as heap.Fix",
	"sort.Stable":                   "as heap.Fix",
	"sort.Slice":                    "x any: a slice swapped by reflect, not walked; the callback is wrapped (symbols/callbacks.go)",
	"sort.SliceIsSorted":            "as sort.Slice",
	"sort.SliceStable":              "as sort.Slice",
	"fmt.Formatter.Format":          "an interface of the script's, called by fmt, which scripts cannot reach: yaegi's fmt map types are not installed",
	"fmt.Scanner.Scan":              "as Formatter.Format",

	// Values stored, not walked.
	"container/list.List.InsertAfter":  "stores the value",
	"container/list.List.InsertBefore": "stores the value",
	"container/list.List.PushBack":     "stores the value",
	"container/list.List.PushFront":    "stores the value",

	// Decoding: recursion follows the input's nesting, which
	// encoding/json bounds (10000 levels); the target is a pointer
	// whose type is walked, not its value.
	"encoding/json.Unmarshal":      "nesting bounded by encoding/json's scanner",
	"encoding/json.Decoder.Decode": "as Unmarshal",
	"errors.As":                    "walks the error tree, bounded by errors.Join and fmt.Errorf (guard.CheckErrors); the target's type only",
	"errors.Is":                    "as errors.As",
	"errors.Unwrap":                "one level",

	// io.Writer, io.Reader, io.RuneReader: only native values implement
	// them (yaegi has no wrapper for package io, so no script type can be
	// passed); they stream, bounded by the data.
	"bytes.Reader.WriteTo":       "native writer",
	"strings.Reader.WriteTo":     "native writer",
	"encoding/base64.NewDecoder": "native reader",
	"encoding/base64.NewEncoder": "native writer",
	"encoding/hex.Dumper":        "native writer",
	"encoding/hex.NewDecoder":    "native reader",
	"encoding/hex.NewEncoder":    "native writer",
	"encoding/json.NewDecoder":   "native reader",
	"regexp.MatchReader":         "native rune reader",
	"fmt.Fscan":                  "scans from a native reader into pointers; no recursion over values",
	"fmt.Fscanf":                 "as Fscan",
	"fmt.Fscanln":                "as Fscan",
	"fmt.Sscan":                  "scans into pointers; no recursion over values",
	"fmt.Sscanf":                 "as Sscan",
	"fmt.Sscanln":                "as Sscan",
	"fmt.FormatString":           "reads the flags of a fmt.State; bounded",
	"fmt.ScanState.Token":        "a method of fmt's own scan state, handed to Scanner.Scan, which scripts cannot reach",
}

type reach struct {
	seen  map[reflect.Type]bool
	found map[string][]string // name → what it takes
	cbs   map[string]bool     // functions whose callbacks are wrapped
}

func (r *reach) typ(t reflect.Type) {
	if t == nil || r.seen[t] {
		return
	}
	r.seen[t] = true
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Chan:
		r.typ(t.Elem())
	case reflect.Map:
		r.typ(t.Key())
		r.typ(t.Elem())
	case reflect.Func:
		for i := range t.NumIn() {
			r.typ(t.In(i))
		}
		for i := range t.NumOut() {
			r.typ(t.Out(i))
		}
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() {
				r.typ(f.Type)
			}
		}
	}
	if t.Name() == "" || strings.HasPrefix(t.Name(), "_") {
		return // unnamed, or yaegi's interface wrappers (native code calls their methods)
	}
	for _, mt := range []reflect.Type{t, reflect.PointerTo(t)} {
		if t.Kind() == reflect.Interface && mt != t {
			continue
		}
		for i := range mt.NumMethod() {
			m := mt.Method(i)
			ft := m.Type
			first := 1 // the receiver
			if t.Kind() == reflect.Interface {
				first = 0
			}
			name := t.PkgPath() + "." + t.Name() + "." + m.Name
			if t.PkgPath() == guardPath {
				name = "guard." + t.Name() + "." + m.Name
			}
			r.params(name, ft, first, t.PkgPath() == guardPath)
			r.typ(ft)
		}
	}
}

// params records what ft takes from index first on.
func (r *reach) params(name string, ft reflect.Type, first int, guarded bool) {
	for i := first; i < ft.NumIn(); i++ {
		p := ft.In(i)
		if ft.IsVariadic() && i == ft.NumIn()-1 {
			p = p.Elem()
		}
		switch {
		case guarded:
		case p.Kind() == reflect.Interface:
			r.found[name] = append(r.found[name], "an interface ("+p.String()+")")
		case p.Kind() == reflect.Func && !r.cbs[name]:
			r.found[name] = append(r.found[name], "a callback ("+p.String()+")")
		}
	}
}

func TestAllowlistInterfaceArgs(t *testing.T) {
	r := &reach{seen: map[reflect.Type]bool{}, found: map[string][]string{}, cbs: map[string]bool{}}
	for _, c := range symbols.Callbacks() {
		dot := strings.LastIndexByte(c, '.')
		key := c[:dot]
		r.cbs[key[:strings.LastIndexByte(key, '/')]+c[dot:]] = true
	}
	for key := range symbols.Symbols {
		pkg := key[:strings.LastIndexByte(key, '/')]
		_, syms := table(pkg, io.Discard) // as an interpreter gets it
		for name, v := range syms {
			if strings.HasPrefix(name, "_") || !v.IsValid() {
				continue
			}
			if v.Kind() == reflect.Func {
				fn := runtime.FuncForPC(v.Pointer()).Name()
				guarded := strings.HasPrefix(fn, "github.com/jstrace-go/jstrace/")
				r.params(pkg+"."+name, v.Type(), 0, guarded)
				r.typ(v.Type())
				continue
			}
			if v.Kind() == reflect.Pointer && v.IsNil() {
				r.typ(v.Type().Elem()) // a type
				continue
			}
			r.typ(v.Type())
		}
	}
	var names []string
	for name := range r.found {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if _, ok := reviewed[name]; !ok {
			t.Errorf("%s takes %s: guard it, or review it in allowlist_test.go", name, strings.Join(r.found[name], ", "))
		}
	}
	for name := range reviewed {
		if _, ok := r.found[name]; !ok {
			t.Errorf("reviewed %s is no longer reachable: remove it from the list", name)
		}
	}
	var foreign []string
	for typ := range r.seen {
		if p := typ.PkgPath(); p == "reflect" || p == "unsafe" || p == "os" || p == "syscall" {
			foreign = append(foreign, typ.String())
		}
	}
	if len(foreign) > 0 {
		slices.Sort(foreign)
		t.Errorf("scripts can reach these types: %v", foreign)
	}
}

// The reviews above of io.Writer and io.Reader arguments rely on this: a
// script type cannot be passed as one (yaegi has no wrapper for package io
// in the tables), so a native that loops over Read or Write only meets
// native readers and writers.
func TestScriptTypesCannotBeIOInterfaces(t *testing.T) {
	for _, call := range []string{`fmt.Fprint(w, "x")`, `json.NewDecoder(w).Decode(new(int))`, `tabwriter.NewWriter(w, 1, 1, 1, ' ', 0)`, `base64.NewEncoder(base64.StdEncoding, w)`} {
		src := header + "import (\n\t\"encoding/base64\"\n\t\"encoding/json\"\n\t\"text/tabwriter\"\n)\n\nvar _, _, _ = json.Valid, tabwriter.Debug, base64.StdEncoding\n\n" +
			"type W struct{}\n\nfunc (W) Write(p []byte) (int, error) { return 0, nil }\nfunc (W) Read(p []byte) (int, error)  { return 0, nil }\n\n" +
			"func Remote(traces *script.Traces) {\n\tvar w W\n\t" + call + "\n}\n" + footer
		s, err := Load("w.go", []byte(src), Options{})
		if err != nil {
			continue // refused: what this test wants
		}
		var got any
		func() {
			defer func() { got = recover() }()
			s.Remote(scripthost.NewTraces(&fakeHost{}))
		}()
		if got == nil {
			t.Errorf("%s: a script type was passed as an io interface", call)
		}
	}
}
