package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// jstrace vet works where go vet cannot: in a fresh directory with no
// go.mod, on scripts copied there as a user would (issue 11). A clean
// script passes silently with exit 0; a bad one prints file:line:col
// problems and exits 4, the script exit code.
func TestVetFromAFreshDirectory(t *testing.T) {
	dir := t.TempDir()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			t.Skipf("%s has a go.mod above it", dir)
		}
		if d == filepath.Dir(d) {
			break
		}
	}
	example, err := os.ReadFile("../../examples/scripts/response-duration.go")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "good.go"), example, 0o644)
	bad := strings.Replace(string(example), "func Local(", "func Local(n int, ", 1)
	if bad == string(example) {
		t.Fatal("the example has no Local to break")
	}
	os.WriteFile(filepath.Join(dir, "bad.go"), []byte(bad), 0o644)

	vet := func(files ...string) (string, int) {
		cmd := exec.Command(bin.jstrace, append([]string{"vet"}, files...)...)
		cmd.Dir = dir
		out, _ := cmd.CombinedOutput()
		noRace(t, "jstrace vet", string(out))
		return string(out), cmd.ProcessState.ExitCode()
	}
	if out, code := vet("good.go"); code != 0 || out != "" {
		t.Fatalf("good.go: exit %d\n%s", code, out)
	}
	out, code := vet("good.go", "bad.go")
	if code != 4 || !strings.HasPrefix(out, "bad.go:") || !strings.Contains(out, ": Local must be declared as func Local(traces *script.Traces)") || strings.Contains(out, "good.go") {
		t.Fatalf("bad.go: exit %d\n%s", code, out)
	}
}
