package otel_test

import (
	"os/exec"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestNoOpenTelemetryInCore checks that only this package pays for
// OpenTelemetry: the root package, the agent and export never import it.
func TestNoOpenTelemetryInCore(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	for _, pkg := range []string{"github.com/jstrace-go/jstrace", "github.com/jstrace-go/jstrace/agent", "github.com/jstrace-go/jstrace/export"} {
		t.Run(pkg, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, out)
			}
			deps := strings.Fields(string(out))
			if len(deps) < 10 {
				t.Fatalf("go list -deps listed %d packages: %q", len(deps), deps)
			}
			for _, d := range deps {
				if strings.HasPrefix(d, "go.opentelemetry.io/") {
					t.Errorf("%s imports %s", pkg, d)
				}
			}
		})
	}
	// The check itself: this package does import it.
	out, err := exec.Command("go", "list", "-deps", "github.com/jstrace-go/jstrace/otel").Output()
	if err != nil || !strings.Contains(string(out), "go.opentelemetry.io/otel/sdk/trace\n") {
		t.Errorf("go list -deps of otel: %v; the check would find nothing", err)
	}
}
