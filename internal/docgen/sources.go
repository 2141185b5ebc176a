package docgen

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"

	"github.com/jstrace-go/jstrace/internal/sandbox"
)

// allowlist names the import paths scripts may use, as the sandbox does,
// in one paragraph.
func allowlist() string {
	paths := sandbox.Allowed()
	for i, path := range paths {
		paths[i] = "`" + path + "`"
	}
	return strings.Join(paths, ", ") + ".\n"
}

// exitCodes tabulates the Exit constants of the CLI's exit.go, each with
// its comment (the line comment, or else the doc comment).
func exitCodes(path string) (string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ParseComments)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("| Code | Meaning |\n|---|---|\n")
	n := 0
	for _, decl := range f.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			if len(vs.Names) != 1 || len(vs.Values) != 1 || !strings.HasPrefix(vs.Names[0].Name, "Exit") {
				continue
			}
			lit, ok := vs.Values[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.INT {
				return "", fmt.Errorf("%s: %s is not an integer literal", path, vs.Names[0].Name)
			}
			code, err := strconv.Atoi(lit.Value)
			if err != nil {
				return "", fmt.Errorf("%s: %s: %w", path, vs.Names[0].Name, err)
			}
			text := strings.Join(strings.Fields(vs.Comment.Text()), " ")
			if text == "" {
				text = strings.Join(strings.Fields(vs.Doc.Text()), " ")
			}
			if text == "" {
				return "", fmt.Errorf("%s: %s has no comment to document it", path, vs.Names[0].Name)
			}
			fmt.Fprintf(&b, "| %d | %s |\n", code, strings.ReplaceAll(text, "|", `\|`))
			n++
		}
	}
	if n == 0 {
		return "", fmt.Errorf("%s: no Exit constants", path)
	}
	return b.String(), nil
}
