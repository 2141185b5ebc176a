package jstrace

import (
	"os/exec"
	"regexp"
	"runtime"
	"testing"
)

// TestHotPathsInline: the disabled cost of these calls is one atomic load
// only while the compiler inlines them into their callers (an out-of-line
// call adds its own ~1 ns and the argument spill). A change that pushes one
// over the inlining budget fails here, not months later in a benchmark.
func TestHotPathsInline(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the compiler")
	}
	gobin := runtime.GOROOT() + "/bin/go"
	out, err := exec.Command(gobin, "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	for _, fn := range []string{
		`Trace`,
		`TraceContext`,
		`\(\*Probe\)\.Enabled`,
		`\(\*Channel\)\.Enabled`,
	} {
		re := regexp.MustCompile(`(?m)^\./\S+: can inline ` + fn + `$`)
		if !re.Match(out) {
			t.Errorf("%s no longer inlines; keep its slow path in a separate function", fn)
		}
	}
}
