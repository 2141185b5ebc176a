package agent

import (
	"strings"
	"testing"

	"github.com/jstrace-go/jstrace/protocol"
)

// A script that floods its console fills the buffer and the rest of its
// output is dropped and counted, but a fault (the reason it is detached)
// still gets in.
func TestConsoleKeepsRoomForFaults(t *testing.T) {
	c := newConsole(nil) // never run: nothing is sent
	line := strings.Repeat("x", 1000) + "\n"
	for range 2 * maxConsoleBuffer / len(line) {
		c.print(protocol.ConsoleStdout, line)
	}
	for d := c.droppedBytes(); c.droppedBytes() == d; { // fill the last bytes
		c.print(protocol.ConsoleStdout, "x")
	}
	before := len(c.buf)
	c.print(protocol.ConsoleFault, "script detached: the script printed too much\n")
	if len(c.buf) == before {
		t.Fatal("the fault was dropped")
	}
	m, err := decodeLastConsole(c.buf)
	if err != nil || m.Stream != protocol.ConsoleFault || !strings.Contains(m.Text, "detached") {
		t.Fatalf("last frame %+v, %v", m, err)
	}
	// Faults fill the reserve too (a flood, then long panic values), but
	// the reason for the detach still gets in.
	for d := c.droppedBytes(); c.droppedBytes() == d; {
		c.print(protocol.ConsoleFault, strings.Repeat("p", 1000))
	}
	c.printReason("script detached: 100 panics\n")
	if m, _ := decodeLastConsole(c.buf); m.Text != "script detached: 100 panics\n" {
		t.Fatalf("last frame %+v", m)
	}
}

func decodeLastConsole(b []byte) (protocol.Console, error) {
	var last protocol.Console
	r := protocol.NewFrameReader(strings.NewReader(string(b)))
	for {
		_, p, err := r.ReadFrame()
		if err != nil {
			return last, nil
		}
		if err := last.Decode(p); err != nil {
			return last, err
		}
	}
}
