package agent_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// A process that has used up jstrace.MaxProbes names drops Trace calls
// with new names; a session must say how many it missed. Filling the
// registry is for good, so the test runs in a child process.
func TestOverflowIsReported(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestOverflowChild$", "-test.v")
	cmd.Env = append(os.Environ(), "JSTRACE_TEST_OVERFLOW_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestOverflowChild") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func TestOverflowChild(t *testing.T) {
	if os.Getenv("JSTRACE_TEST_OVERFLOW_CHILD") == "" {
		t.Skip("run by TestOverflowIsReported")
	}
	for i := len(jstrace.Probes()); i < jstrace.MaxProbes; i++ {
		jstrace.NewProbe(fmt.Sprintf("fill:%d", i))
	}
	a := start(t, agent.Options{Logger: quiet})
	c := dial(t, a, "")
	rec := newRecorder()
	src := "package main\n\nimport \"github.com/jstrace-go/jstrace/script\"\n\nfunc Remote(traces *script.Traces) {\n\ttraces.On(\"over:*\", func(t *script.Trace) {})\n}\n"
	if _, err := c.Attach(&protocol.Attach{Name: "o.go", Source: src}, rec); err != nil {
		t.Fatal(err)
	}
	before := jstrace.Unregistered()
	for range 3 {
		jstrace.Trace("over:new", "v", 1)
	}
	if got := jstrace.Unregistered() - before; got != 3 {
		t.Fatalf("Unregistered grew by %d, want 3", got)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if text := rec.consoleText(); !strings.Contains(text, "3 trace calls during the session were not delivered") {
		t.Fatalf("console %q", text)
	}
}
