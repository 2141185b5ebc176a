package protocol

import (
	"bytes"
	"io"
	"net"
	"testing"
)

// What a BufConn buffered past the handshake is what the next reader reads
// first, in order, then the rest of the connection.
func TestBufConnHandsOnTheRest(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	hello := AppendFrame(AppendPreamble(nil), FrameHello, (&Hello{Client: "x"}).Append(nil))
	rest := bytes.Repeat([]byte("yamux"), 1000) // more than the buffer holds
	go func() {
		a.Write(append(bytes.Clone(hello), rest[:100]...)) // one write: the handshake and what follows
		a.Write(rest[100:])
		a.Close()
	}()
	bc := NewBufConn(b)
	if _, err := ReadPreamble(bc); err != nil {
		t.Fatal(err)
	}
	if ft, _, err := ReadFrameExact(bc, MaxFrameSize); err != nil || ft != FrameHello {
		t.Fatalf("read %v, %v", ft, err)
	}
	if bc.Buffered() != 100 {
		t.Fatalf("%d bytes buffered past the Hello, want 100", bc.Buffered())
	}
	got, err := io.ReadAll(bc)
	if err != nil || !bytes.Equal(got, rest) {
		t.Fatalf("read %d bytes after the handshake (%v), want the %d that followed", len(got), err, len(rest))
	}
}
