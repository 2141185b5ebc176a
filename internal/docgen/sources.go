package docgen

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"

	"github.com/jstrace-go/jstrace/internal/cli"
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

// exitCodes tabulates cli.ExitCodes, after checking that it gives a meaning
// to every Exit constant of path (the CLI's exit.go) and to nothing else.
func exitCodes(path string) (string, error) {
	return exitTable(path, cli.ExitCodes)
}

func exitTable(path string, codes []struct {
	Code    int
	Meaning string
}) (string, error) {
	consts, err := exitConsts(path)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("| Code | Meaning |\n|---|---|\n")
	for _, e := range codes {
		name, ok := consts[e.Code]
		if !ok {
			return "", fmt.Errorf("%s: exit code %d has a meaning but no Exit constant", path, e.Code)
		}
		delete(consts, e.Code)
		if e.Meaning == "" {
			return "", fmt.Errorf("%s: %s has no meaning", path, name)
		}
		fmt.Fprintf(&b, "| %d | %s |\n", e.Code, strings.ReplaceAll(e.Meaning, "|", `\|`))
	}
	for code, name := range consts {
		return "", fmt.Errorf("%s: %s (%d) is not in ExitCodes", path, name, code)
	}
	return b.String(), nil
}

// exitConsts returns the Exit constants of the Go file at path by value.
func exitConsts(path string) (map[int]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		return nil, err
	}
	consts := map[int]string{}
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
				return nil, fmt.Errorf("%s: %s is not an integer literal", path, vs.Names[0].Name)
			}
			code, err := strconv.Atoi(lit.Value)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", path, vs.Names[0].Name, err)
			}
			consts[code] = vs.Names[0].Name
		}
	}
	if len(consts) == 0 {
		return nil, fmt.Errorf("%s: no Exit constants", path)
	}
	return consts, nil
}
