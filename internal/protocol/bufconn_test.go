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

// FrameBuffered: a whole frame in the buffer, and nothing less.
func TestFrameBuffered(t *testing.T) {
	frame := AppendFrame(nil, FrameHello, bytes.Repeat([]byte("h"), 200)) // a two-byte length
	for n := 0; n <= len(frame); n++ {
		a, b := net.Pipe()
		go a.Write(frame[:n])
		bc := NewBufConn(b)
		if n > 0 {
			bc.r.Peek(n) // fill the buffer with what was sent
		}
		if got, want := bc.FrameBuffered(), n == len(frame); got != want {
			t.Errorf("%d of the frame's %d bytes buffered: FrameBuffered() = %v", n, len(frame), got)
		}
		a.Close()
		b.Close()
	}
}
