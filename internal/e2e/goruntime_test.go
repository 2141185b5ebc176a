package e2e

import (
	"strings"
	"testing"
)

// The runtime probes reach a script from a real service: the example
// prints a line per second per process with the heap and goroutines.
func TestGCPausesScript(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.start("api", "web-1")
	r := e.jstrace("--duration", "2500ms", "-t", "api", "examples/scripts/gc-pauses.go")
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	t.Log(r.stdout)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) < 2 {
		t.Fatalf("%d lines, want one a second and the last partial one\n%s", len(lines), r.stdout)
	}
	for _, l := range lines {
		if !strings.Contains(l, "/api/") || !strings.Contains(l, " GC/s ") || !strings.Contains(l, " goroutines") || strings.Contains(l, "heap    0.0/") {
			t.Errorf("line %q", l)
		}
	}
}
