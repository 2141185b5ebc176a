package sandbox

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"runtime"
	"strings"
	"testing"
	"time"
)

// worstShapes are lines that cost the type checker the most per node: each
// instantiates a generic function, declares types of other packages' types,
// or concatenates constant strings.
var worstShapes = []string{
	"var v%d = slices.Index([]int{1, 2, 3}, %[1]d)\n",
	"type T%d struct{ a [4]crc32.Table; b *T%[1]d; c map[string][2]T%[1]d }\n",
	"const c%d = \"abcdefgh\" + \"ijkl\" + \"mn\"\nvar x%[1]d = len(c%[1]d + \"abc\")\n",
}

// TestWorstAdmittedScript checks and compiles scripts just under MaxNodes,
// the largest the checker admits, and bounds both: the load cannot go on for
// long after the client that sent the script has left.
func TestWorstAdmittedScript(t *testing.T) {
	const head = "package main\nimport \"github.com/jstrace-go/jstrace/script\"\nimport \"slices\"\nimport \"hash/crc32\"\n" +
		"var _ = slices.Index([]int{}, 0)\nvar _ = crc32.IEEE\nfunc Remote(traces *script.Traces) {}\n"
	for _, shape := range worstShapes {
		per := nodes(head+fmt.Sprintf(shape, 0)) - nodes(head)
		var b strings.Builder
		b.WriteString(head)
		for i := 0; i < (MaxNodes-nodes(head))/per-1; i++ {
			fmt.Fprintf(&b, shape, i)
		}
		src := b.String()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		err := Check("w.go", []byte(src))
		el := time.Since(start)
		runtime.ReadMemStats(&after)
		t.Logf("%d bytes, %d nodes: checked in %v, %d MiB allocated", len(src), nodes(src), el, (after.TotalAlloc-before.TotalAlloc)>>20)
		if err != nil {
			t.Fatalf("%.300v", err)
		}
		x, err := New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		start = time.Now()
		if _, err := x.Compile("w.go", []byte(src)); err != nil {
			t.Fatalf("compile: %.300v", err)
		}
		compiled := time.Since(start)
		t.Logf("compiled in %v", compiled)
		if compiled > 5*checkTime && !raceEnabled {
			t.Errorf("the compilation took %v", compiled)
		}
		if el > 5*checkTime && !raceEnabled {
			t.Errorf("the check took %v", el)
		}
		if after.TotalAlloc-before.TotalAlloc > checkAlloc {
			t.Errorf("the check allocated %d MiB", (after.TotalAlloc-before.TotalAlloc)>>20)
		}
	}
}

func nodes(src string) int {
	f, err := parser.ParseFile(token.NewFileSet(), "", src, 0)
	if err != nil {
		panic(err)
	}
	n := 0
	ast.Inspect(f, func(x ast.Node) bool {
		if x != nil {
			n++
		}
		return true
	})
	return n
}
