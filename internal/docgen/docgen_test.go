package docgen

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jstrace-go/jstrace/internal/sandbox"
)

const root = "../.."

// Every generated part of the documentation says what its source says now.
func TestUpToDate(t *testing.T) {
	for _, name := range Files {
		doc, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		out, parts, err := Render(root, doc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if string(out) != string(doc) {
			t.Errorf("%s is stale: run make updatedocs", name)
		}
		for _, want := range Required[name] {
			if !slices.Contains(parts, want) {
				t.Errorf("%s lost its generated part %q (<!-- docgen:%s -->)", name, want, want)
			}
		}
	}
}

// Render replaces each part and keeps the text around it.
func TestRender(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x.go"), []byte("package x\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := "a\n<!-- docgen:file:x.go -->\nold\n<!-- /docgen -->\nb\n<!-- docgen:allowlist -->\n<!-- /docgen -->\nc\n"
	out, parts, err := Render(dir, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := "a\n<!-- docgen:file:x.go -->\n```go\npackage x\n```\n<!-- /docgen -->\nb\n<!-- docgen:allowlist -->\n" + allowlist() + "<!-- /docgen -->\nc\n"
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if !slices.Equal(parts, []string{"file:x.go", "allowlist"}) {
		t.Errorf("parts %q", parts)
	}
	for _, bad := range []string{
		"<!-- docgen:file:x.go -->\nno end\n",
		"<!-- docgen:nonsense -->\n<!-- /docgen -->\n",
		"<!-- docgen:file:missing.go -->\n<!-- /docgen -->\n",
	} {
		if _, _, err := Render(dir, []byte(bad)); err == nil {
			t.Errorf("Render(%q): no error", bad)
		}
	}
}

// The allowlist part names every path the sandbox allows, and only those.
func TestAllowlist(t *testing.T) {
	got := allowlist()
	allowed := sandbox.Allowed()
	if n := strings.Count(got, "`"); n != 2*len(allowed) {
		t.Errorf("%d backquotes for %d paths", n, len(allowed))
	}
	for _, path := range []string{"strings", "fmt", "cmp", "github.com/jstrace-go/jstrace/script"} {
		if !strings.Contains(got, "`"+path+"`") {
			t.Errorf("%s missing from\n%s", path, got)
		}
	}
	for _, path := range []string{"os", "net", "unsafe", "reflect", "container/ring"} {
		if strings.Contains(got, "`"+path+"`") {
			t.Errorf("%s listed", path)
		}
	}
}

// The exit codes come from cli.ExitCodes, which must cover every Exit
// constant and nothing else.
func TestExitCodes(t *testing.T) {
	got, err := exitCodes(filepath.Join(root, "internal", "cli", "exit.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"| 0 |", "| 1 |", "| 2 |", "| 3 |", "| 130 |"} {
		if !strings.Contains(got, code) {
			t.Errorf("%s missing from\n%s", code, got)
		}
	}
	path := filepath.Join(t.TempDir(), "exit.go")
	if err := os.WriteFile(path, []byte("package cli\n\nconst (\n\tExitA = 7\n\tExitB = 8\n\tother = 9\n)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	type code = struct {
		Code    int
		Meaning string
	}
	got, err = exitTable(path, []code{{7, "a"}, {8, "b | c"}})
	if want := "| Code | Meaning |\n|---|---|\n| 7 | a |\n| 8 | b \\| c |\n"; err != nil || got != want {
		t.Errorf("got\n%s%v\nwant\n%s", got, err, want)
	}
	for name, codes := range map[string][]code{
		"a constant without meaning": {{7, "a"}},
		"a meaning without constant": {{7, "a"}, {8, "b"}, {9, "c"}},
		"an empty meaning":           {{7, "a"}, {8, ""}},
	} {
		if _, err := exitTable(path, codes); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// The options tables come from the agent's field docs: every exported
// field, with the default its doc states.
func TestOptionsTable(t *testing.T) {
	got, err := options("../..", "Limits")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| `Limits.HandlerTimeout` | one call of a handler", "| 100ms |", "| `Limits.MaxAggregationMemory` |", "| 16 MiB |"} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
	if _, err := options("../..", "NoSuchType"); err == nil {
		t.Error("an unknown type made a table")
	}
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "agent"), 0o755)
	os.WriteFile(filepath.Join(dir, "agent", "o.go"), []byte("package agent\n\ntype Limits struct {\n\t// X bounds x.\n\tX int\n}\n"), 0o644)
	if _, err := options(dir, "Limits"); err == nil || !strings.Contains(err.Error(), "Limits.X") {
		t.Errorf("a field without a default: %v", err)
	}
}
