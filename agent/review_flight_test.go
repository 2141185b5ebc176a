package agent_test

import (
	"testing"

	"github.com/jstrace-go/jstrace/agent"
)

// TestReviewFlightEmptyEnv: JSTRACE_FLIGHT set to "" (a deployment
// template's JSTRACE_FLIGHT=${FLIGHT:-}) is unset, as for every other
// JSTRACE_ variable: it must not stop the agent from starting.
func TestReviewFlightEmptyEnv(t *testing.T) {
	t.Setenv(agent.EnvFlight, "")
	a, err := agent.Listen(agent.Options{RunDir: t.TempDir(), Logger: quiet, NoDiscovery: true})
	if err != nil {
		t.Fatalf("Listen with %s empty = %v, want the agent started", agent.EnvFlight, err)
	}
	a.Close()
}
