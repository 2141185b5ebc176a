package agent

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Every message the agent logs is a constant string, short and lowercase,
// with what varies in attributes: the logger already says
// component=jstrace, and a service's log tools group records by message.
func TestLogMessagesAreConstant(t *testing.T) {
	// The index of the message argument of each logging call.
	msgArg := map[string]int{"Debug": 0, "Info": 0, "Warn": 0, "Error": 0, "Log": 2, "note": 3}
	constant := regexp.MustCompile(`^[a-z][a-z ]*[a-z]$`)
	files, _ := filepath.Glob("*.go")
	mux, _ := filepath.Glob("../internal/mux/*.go")
	calls := 0
	for _, file := range append(files, mux...) {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			i, ok := msgArg[sel.Sel.Name]
			if !ok || len(call.Args) <= i || !isLogger(sel.X) {
				return true
			}
			calls++
			if id, ok := call.Args[i].(*ast.Ident); ok && id.Name == "msg" && file == "lograte.go" {
				return true // note passes on its callers' message, checked here
			}
			lit, ok := call.Args[i].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("%s: the message of %s is not a string literal", fset.Position(call.Pos()), sel.Sel.Name)
				return true
			}
			if msg, _ := strconv.Unquote(lit.Value); !constant.MatchString(msg) {
				t.Errorf("%s: message %q: want short lowercase words", fset.Position(call.Pos()), msg)
			}
			return true
		})
	}
	if calls < 20 {
		t.Fatalf("found %d logging calls: the test no longer sees them", calls)
	}
}

// isLogger reports whether x names a logger or a refusalLog: log, a.log,
// s.log, l.l, a.refusals, a.dropped, r (in lograte.go).
func isLogger(x ast.Expr) bool {
	switch x := x.(type) {
	case *ast.Ident:
		return x.Name == "log" || x.Name == "r"
	case *ast.SelectorExpr:
		switch x.Sel.Name {
		case "log", "l", "refusals", "dropped":
			return true
		}
	}
	return false
}
