package docgen

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"
)

// defaultRE finds a field doc's "Default: ..." sentence.
var defaultRE = regexp.MustCompile(`(?s)\bDefault: (.*?)(?:\.\s|\.$|$)`)

// options tabulates the fields of the agent's struct type typ (Limits,
// Totals): each field's first sentence and the default its doc states. The
// doc comments in agent/ are the one source; a field without "Default:" is
// an error, so the table cannot silently lose one.
func options(root, typ string) (string, error) {
	dir := filepath.Join(root, "agent")
	pkgs, err := parser.ParseDir(token.NewFileSet(), dir, func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, parser.ParseComments)
	if err != nil {
		return "", err
	}
	st := findStruct(pkgs["agent"], typ)
	if st == nil {
		return "", fmt.Errorf("%s: no struct type %s", dir, typ)
	}
	var b strings.Builder
	b.WriteString("| Option | Bounds | Default |\n|---|---|---|\n")
	for _, f := range st.Fields.List {
		if len(f.Names) != 1 || !f.Names[0].IsExported() {
			continue
		}
		name := f.Names[0].Name
		doc := strings.Join(strings.Fields(f.Doc.Text()), " ")
		m := defaultRE.FindStringSubmatch(doc)
		if m == nil {
			return "", fmt.Errorf("%s.%s: its doc states no \"Default: \"", typ, name)
		}
		what := firstSentence(strings.TrimPrefix(doc, name+" "))
		for _, verb := range []string{"bounds ", "is "} {
			what = strings.TrimPrefix(what, verb)
		}
		fmt.Fprintf(&b, "| `%s.%s` | %s | %s |\n", typ, name, cell(what), cell(m[1]))
	}
	return b.String(), nil
}

func findStruct(pkg *ast.Package, typ string) *ast.StructType {
	if pkg == nil {
		return nil
	}
	for _, file := range pkg.Files {
		for _, decl := range file.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.TYPE {
				continue
			}
			for _, spec := range gen.Specs {
				ts := spec.(*ast.TypeSpec)
				if st, ok := ts.Type.(*ast.StructType); ok && ts.Name.Name == typ {
					return st
				}
			}
		}
	}
	return nil
}

// firstSentence is s up to its first full stop followed by a space.
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i]
	}
	return strings.TrimSuffix(s, ".")
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
