package agent

import (
	"go/version"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// The agent runs scripts against symbol tables generated for one Go
// release (internal/sandbox/symbols, tagged //go:build go1.N by yaegi
// extract): built with an older Go they are left out, and scripts can
// import nothing. So go.mod's go line, which decides the oldest Go a
// service may build the agent with, must not be older than any tag. (make
// oldgo builds and tests with exactly that Go.)
func TestGoLineCoversTheSymbolTables(t *testing.T) {
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	goLine := version.Lang("go" + string(m[1]))
	files, _ := filepath.Glob("../internal/sandbox/symbols/*.go")
	tag := regexp.MustCompile(`(?m)^//go:build .*\b(go1\.\d+)\b`)
	tagged := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range tag.FindAllSubmatch(src, -1) {
			tagged++
			if version.Compare(goLine, string(m[1])) < 0 {
				t.Errorf("%s needs %s, but go.mod's go line is %s: a service built with that Go gets an agent whose scripts import nothing", f, m[1], goLine)
			}
		}
	}
	if tagged == 0 {
		t.Fatal("no tagged symbol table found: the test no longer sees them")
	}
}
