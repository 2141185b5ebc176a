package agent_test

import (
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// TestReviewProbeCatalogueCLIGone: a CLI that goes away during a probe
// listing's window (Ctrl-C on jstrace probes --for 1m) must not leave the
// matching probes enabled, at an enabled probe's cost in the service, for
// the rest of a window nobody will read.
func TestReviewProbeCatalogueCLIGone(t *testing.T) {
	a := start(t, agent.Options{})
	p := jstrace.NewProbe("review:gone")
	c := dial(t, a, "")
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Probes(&protocol.ProbesRequest{Patterns: []string{"review:*"}, Window: 30 * time.Second})
	}()
	for deadline := time.Now().Add(5 * time.Second); !p.Enabled(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the listing never enabled the probe")
		}
	}
	c.Close()
	<-done
	for deadline := time.Now().Add(3 * time.Second); p.Enabled(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the probe stayed enabled after the CLI went away")
		}
	}
}
