package sandbox

import (
	"go/ast"
	"go/token"
	"testing"
)

// TestInlineHandlers: which handlers the checker proves bounded (and so
// rewrites into guard.OnBounded), and which it leaves to the queue.
func TestInlineHandlers(t *testing.T) {
	const head = `package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/jstrace-go/jstrace/script"
)

var n int
var seen = map[string]int{}
var hook func()

func count(t *script.Trace)  { n++ }
func helper(s string) string { return strings.ToUpper(s) }
func loops() {
	for i := 0; i < 10; i++ {
		n++
	}
}
func rec(i int) int {
	if i == 0 {
		return 0
	}
	return rec(i - 1)
}
func twice0() { n++; n++ }
`
	tests := []struct {
		name, decls, remote string
		want                bool
	}{
		{"count", "", `traces.On("a", func(t *script.Trace) { n++ })`, true},
		{"named function", "", `traces.On("a", count)`, true},
		{"map and fields", "", `traces.On("a", func(t *script.Trace) {
			seen[t.Str("route")]++
			if d := t.Dur("d"); d > 0 { fmt.Sprint(d) }
		})`, true},
		{"script helper", "", `traces.On("a", func(t *script.Trace) { seen[helper(t.Name)]++ })`, true},
		{"conversion and builtins", "", `traces.On("a", func(t *script.Trace) { b := []byte(t.Name); n += len(b); _ = append(b, 'x') })`, true},
		{"error method", "", `traces.On("a", func(t *script.Trace) { var err error = fmt.Errorf("x"); _ = err.Error() })`, true},
		{"for", "", `traces.On("a", func(t *script.Trace) { for i := 0; i < 3; i++ { n++ } })`, false},
		{"range", "", `traces.On("a", func(t *script.Trace) { for k := range seen { _ = k } })`, false},
		{"goto", "", `traces.On("a", func(t *script.Trace) {
		again:
			n++
			if n < 10 { goto again }
		})`, false},
		{"helper that loops", "", `traces.On("a", func(t *script.Trace) { loops() })`, false},
		{"recursion", "", `traces.On("a", func(t *script.Trace) { rec(3) })`, false},
		{"function value", "", `traces.On("a", func(t *script.Trace) { hook() })`, false},
		{"closure call", "", `traces.On("a", func(t *script.Trace) { func() { n++ }() })`, false},
		{"native taking a func", "", `traces.On("a", func(t *script.Trace) { strings.Map(func(r rune) rune { return r }, t.Name) })`, false},
		{"package off the list", "", `traces.On("a", func(t *script.Trace) { sort.Ints(nil) })`, false},
		{"handler registering a handler", "", `traces.On("a", func(t *script.Trace) { traces.On("b", count) })`, false},
		{"handler value", "", `h := count; traces.On("a", h)`, false},
		{"methods declared", "type T int\nfunc (T) String() string { return \"\" }\n", `traces.On("a", count)`, false},
		{"exponential calls", `
func twice1() { twice0(); twice0() }
func twice2() { twice1(); twice1() }
func twice3() { twice2(); twice2() }
func twice4() { twice3(); twice3() }
func twice5() { twice4(); twice4() }
func twice6() { twice5(); twice5() }
func twice7() { twice6(); twice6() }
func twice8() { twice7(); twice7() }
func twice9() { twice8(); twice8() }
`, `traces.On("a", func(t *script.Trace) { twice9() })`, false},
		{"few calls", "", `traces.On("a", func(t *script.Trace) { twice0(); twice0() })`, true},
		{"emit and log", "", `traces.On("a", func(t *script.Trace) { traces.Emit("x", "n", n); traces.Logf("%d", n) })`, true},
		{"aggregate", "", `traces.On("a", func(t *script.Trace) { traces.Aggregate("b", script.Agg{}) })`, false},
		{"native taking an interface", "", `traces.On("a", func(t *script.Trace) { var b strings.Builder; fmt.Fprint(&b, n) })`, false},
		{"traces embedded", "type W struct{ *script.Traces }\n", `w := W{traces}; w.On("a", count)`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := head + tt.decls + "\nfunc Remote(traces *script.Traces) {\n" + tt.remote + "\n}\n"
			ck, err := check(token.NewFileSet(), "s.go", []byte(src), policy{})
			if err != nil {
				t.Fatalf("check: %v\n%s", err, src)
			}
			inlineHandlers(ck.file, ck.info, nil)
			if got := bounded(ck.file); got != tt.want {
				t.Errorf("bounded = %v, want %v\n%s", got, tt.want, src)
			}
		})
	}
}

// A script importing a package the service opted in gets no bounded
// handler: that package's values have methods natives would call.
func TestInlineHandlersOptedIn(t *testing.T) {
	src := `package main

import (
	"example.com/svc/state" //jstrace:remote

	"github.com/jstrace-go/jstrace/script"
)

var _ = state.X

func Remote(traces *script.Traces) {
	n := 0
	traces.On("a", func(t *script.Trace) { n++ })
}
`
	ck, err := check(token.NewFileSet(), "s.go", []byte(src), policy{remoteMarked: true})
	if err != nil {
		t.Fatal(err)
	}
	if found, _ := inlineHandlers(ck.file, ck.info, nil); found || bounded(ck.file) {
		t.Error("a handler of a script importing an opted-in package was rewritten")
	}
}

// bounded reports whether the last statement of f's Remote was rewritten
// into guard.OnBounded.
func bounded(f *ast.File) bool {
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Name.Name != "Remote" {
			continue
		}
		last := fd.Body.List[len(fd.Body.List)-1]
		call, ok := last.(*ast.ExprStmt).X.(*ast.CallExpr)
		if !ok {
			return false
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return false
		}
		id, ok := sel.X.(*ast.Ident)
		return ok && id.Name == guardName && sel.Sel.Name == "OnBounded"
	}
	return false
}

// TestBoundedHandlerRuns: a rewritten script loads (On through a struct
// embedding Traces included, which is not rewritten).
func TestBoundedHandlerRuns(t *testing.T) {
	src := `package main

import "github.com/jstrace-go/jstrace/script"

type W struct{ *script.Traces }

func Remote(traces *script.Traces) {
	n := 0
	traces.On("a:*", func(t *script.Trace) { n++ })
	w := W{traces}
	w.On("b:*", func(t *script.Trace) { n++ })
}
`
	s, err := Load("s.go", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Remote == nil {
		t.Fatal("no Remote")
	}
}
