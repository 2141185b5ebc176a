package agent_test

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// A CLI of another protocol version sends its Hello behind its preamble,
// as this one does: the agent answers with its own preamble and then
// closes cleanly, having read the Hello, instead of resetting the
// connection (which loses the answer on some systems).
func TestVersionMismatchWithEarlyHello(t *testing.T) {
	a, err := agent.Listen(agent.Options{Logger: quiet, NoDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	nc, err := net.Dial("tcp", a.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	first := protocol.AppendPreamble(nil)
	first[len(first)-1]++ // another version
	hello := protocol.Hello{Client: "other"}
	first = protocol.AppendFrame(first, protocol.FrameHello, hello.Append(nil))
	if _, err := nc.Write(first); err != nil {
		t.Fatal(err)
	}
	if v, err := protocol.ReadPreamble(nc); err != nil || v != protocol.Version {
		t.Fatalf("agent's preamble: %d, %v", v, err)
	}
	nc.(*net.TCPConn).CloseWrite() // done: the agent may close
	if rest, err := io.ReadAll(nc); err != nil || len(rest) != 0 {
		t.Fatalf("after the preamble: %q, %v (want a clean end)", rest, err)
	}
}
