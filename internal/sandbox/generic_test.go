package sandbox

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

// Generic packages compiled from source get the make guard too (issue 10,
// class 2c): their allocations are sized by the script's arguments.
func TestGenericSourcesAreGuarded(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"slices.Grow", "_ = slices.Grow[[]byte, byte](nil, 1<<40)", "exceeds the scripts' limit"},
		{"slices.Grow of int64", "s := []int64{1}\n_ = slices.Grow[[]int64, int64](s, 1<<26)", "make of 67108864 elements of 8 bytes"},
		{"fine", "s := slices.Grow[[]int, int]([]int{1}, 10)\ntraces.Log(len(s), cap(s) >= 11)", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, printed := runRemote(t, []string{"slices"}, "", tt.body)
			if tt.want == "" {
				if got != nil || printed != "1 true\n" {
					t.Fatalf("panic %v, printed %q", got, printed)
				}
				return
			}
			if got == nil || !strings.Contains(fmt.Sprint(got), tt.want) {
				t.Fatalf("recovered %v, want a panic with %q", got, tt.want)
			}
		})
	}
}

// Every make of every generic source goes through the guard.
func TestGenericSourcesHaveNoUnguardedMake(t *testing.T) {
	for pkg, src := range genericSources() {
		f, err := parser.ParseFile(token.NewFileSet(), pkg+".go", src, 0)
		if err != nil {
			t.Fatal(err)
		}
		makes, guarded := 0, 0
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if id, ok := call.Fun.(*ast.Ident); ok && id.Name == "make" && len(call.Args) >= 2 {
				makes++
				if g, ok := call.Args[1].(*ast.CallExpr); ok {
					if sel, ok := g.Fun.(*ast.SelectorExpr); ok && fmt.Sprint(sel.X) == guardName {
						guarded++
					}
				}
			}
			return true
		})
		if makes != guarded {
			t.Errorf("%s: %d of %d make calls unguarded", pkg, makes-guarded, makes)
		}
		t.Logf("%s: %d make calls guarded", pkg, guarded)
	}
}
