package sandbox

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// checkBudget is what one check may take: the worst admitted script takes
// about a fifth of it (see TestWorstAdmittedScript).
const (
	checkTime  = 2 * time.Second
	checkAlloc = 512 << 20
)

// FuzzLoad feeds arbitrary sources to the checker, within a time and an
// allocation budget, and, when they cannot loop or recurse at load time,
// to the interpreter: neither may panic. (A script that loops or recurses
// in its top-level code is the business of the agent's budgets, not of the
// loader.) The seeds include every hostile shape of the checker's tests.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("../../examples/scripts/*.go")
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, s := range []string{
		header + "func Remote(traces *script.Traces) {}" + footer,
		header + "var x = []int{1,2,3}[5]\nfunc Remote(traces *script.Traces) {}" + footer,
		header + "type T[P any] struct{ v P }\nvar t T[int]\nfunc Local(traces *script.Traces) {}" + footer,
		header + "const c = 1 << 70\nfunc Remote(traces *script.Traces) {}" + footer,
		header + "var m map[string]int\nvar _ = func() int { m[\"a\"] = 1; return 0 }()\nfunc Remote(traces *script.Traces) {}" + footer,
		"package main\nimport \"unsafe\"\n",
		"package main\nfunc Remote(",
	} {
		f.Add([]byte(s))
	}
	for _, h := range hostileScripts {
		if len(h.src) < 64<<10 {
			f.Add([]byte(h.src))
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		err := Check("f.go", src)
		el := time.Since(start)
		runtime.ReadMemStats(&after)
		if el > checkTime {
			t.Fatalf("the check took %v", el)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > checkAlloc {
			t.Fatalf("the check allocated %d MiB", alloc>>20)
		}
		if err != nil {
			return
		}
		if !loadIsBounded(src) {
			return
		}
		Load("f.go", src, Options{})
	})
}

// loadIsBounded reports whether evaluating src's top level cannot loop or
// recurse: no loops, no gotos, and no functions but Remote, Local and main.
func loadIsBounded(src []byte) bool {
	if strings.Contains(string(src), "for") || strings.Contains(string(src), "goto") {
		return false
	}
	f, err := parser.ParseFile(token.NewFileSet(), "f.go", src, 0)
	if err != nil {
		return false
	}
	bounded := true
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			bounded = false
		case *ast.FuncDecl:
			switch n.Name.Name {
			case "Remote", "Local", "main":
			default:
				bounded = false
			}
		}
		return bounded
	})
	return bounded
}
