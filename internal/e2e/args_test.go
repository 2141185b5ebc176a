package e2e

import (
	"strings"
	"testing"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

// TestArgsOlderAgent: an agent that predates script arguments refuses an
// Attach carrying them as trailing bytes (a protocol error); the CLI says
// why, exits ExitConnect (5), and the same agent still takes the script
// without arguments, whose Attach is what it has always read.
func TestArgsOlderAgent(t *testing.T) {
	t.Parallel()
	old := startFakeAgent(t, protocol.Welcome{Title: "old", Hostname: "old-1"}, func(s *fakeSession) {
		if len(s.attach.Args) > 0 {
			protocol.NewFrameWriter(s.ctl).Send(protocol.FrameError, &protocol.Error{Code: protocol.CodeProtocol, Message: "decode Attach: malformed message: 3 trailing bytes"})
			s.hold()
			return
		}
		s.attached()
		s.print(protocol.ConsoleStdout, "attached\n")
		s.untilStop()
	})
	e := newEnv(t)
	script := e.script("w.go", wireScript)

	r := e.jstrace("--agents", old.addr(), "--duration", "1s", script, "--", "a")
	if r.code != 5 || !strings.Contains(r.stderr, "the agent (jstrace v9.9.9) predates script arguments") {
		t.Errorf("with arguments: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	r = e.jstrace("--agents", old.addr(), "--duration", "300ms", script)
	if r.code != 0 || strings.Contains(r.stderr, "predates") || !strings.Contains(r.stdout, "attached") {
		t.Errorf("without arguments: exit %d, stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}
