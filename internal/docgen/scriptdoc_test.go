package docgen

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jstrace-go/jstrace/internal/sandbox"
)

// The script package's doc lists the allowlist for authors reading go doc;
// it must name exactly what the sandbox allows (the generated list in
// docs/scripts.md is checked by TestUpToDate).
func TestScriptDocAllowlist(t *testing.T) {
	src, err := os.ReadFile("../../script/doc.go")
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	start := strings.Index(text, "// # What scripts may import")
	end := strings.Index(text, "Anything else")
	if start < 0 || end < start {
		t.Fatal("script/doc.go: the allowlist section is gone or reworded; update this test")
	}
	section := strings.ReplaceAll(text[start:end], "//", " ")
	// The list follows the colon after the exceptions' parenthesis.
	list := section[strings.Index(section, "):")+2:]
	var named []string
	for _, w := range regexp.MustCompile(`[a-z][a-z0-9]*(/[a-z0-9]+)*`).FindAllString(list, -1) {
		switch w {
		case "without", "its", "sorting", "functions", "use": // "slices (without its sorting functions: use sort)"
			continue
		}
		named = append(named, w)
	}
	slices.Sort(named)
	named = slices.Compact(named)
	var want []string
	for _, p := range sandbox.Allowed() {
		if p != sandbox.ScriptPackage {
			want = append(want, p)
		}
	}
	if !slices.Equal(named, want) {
		t.Errorf("script/doc.go lists\n%q\nthe sandbox allows\n%q", named, want)
	}
}
