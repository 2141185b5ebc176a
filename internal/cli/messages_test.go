package cli

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// Every message the CLI writes or returns reads the same way (see
// output.errorf): lowercase, unless it starts with a Go name, a flag or a
// verb; no trailing period or newline (errorf ends the line).
func TestMessageStyle(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	n := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(node ast.Node) bool {
			call, ok := node.(*ast.CallExpr)
			if !ok {
				return true
			}
			arg := messageArg(call)
			if arg < 0 || arg >= len(call.Args) {
				return true
			}
			lit, ok := call.Args[arg].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			msg, _ := strconv.Unquote(lit.Value)
			n++
			if bad := messageProblem(msg); bad != "" {
				t.Errorf("%s: %q: %s", fset.Position(lit.Pos()), msg, bad)
			}
			return true
		})
	}
	if n < 30 {
		t.Fatalf("only %d messages found: the test no longer sees them", n)
	}
}

// messageArg returns the index of the message argument of a call that
// makes a message, -1 for other calls.
func messageArg(call *ast.CallExpr) int {
	switch fn := call.Fun.(type) {
	case *ast.SelectorExpr:
		switch x, _ := fn.X.(*ast.Ident); {
		case x != nil && x.Name == "fmt" && fn.Sel.Name == "Errorf",
			x != nil && x.Name == "errors" && fn.Sel.Name == "New":
			return 0
		case fn.Sel.Name == "errorf":
			return 0
		case fn.Sel.Name == "warnOnce":
			return 1
		}
	case *ast.Ident:
		if fn.Name == "exitf" {
			return 1
		}
	}
	return -1
}

func messageProblem(msg string) string {
	if msg == "" {
		return "empty"
	}
	if strings.HasSuffix(msg, ".") || strings.HasSuffix(msg, "\n") {
		return "ends with a period or a newline"
	}
	if strings.HasPrefix(msg, "jstrace:") {
		return "errorf adds the jstrace: prefix"
	}
	for _, ok := range []string{"Local", "Remote", "-", "%"} {
		if strings.HasPrefix(msg, ok) {
			return ""
		}
	}
	if r := []rune(msg)[0]; unicode.IsUpper(r) {
		return "starts uppercase"
	}
	return ""
}
