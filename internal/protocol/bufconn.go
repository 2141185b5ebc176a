package protocol

import (
	"bufio"
	"encoding/binary"
	"net"
)

// A BufConn is a connection read through a small buffer. The handshake is
// read in pieces (a preamble, then a frame's type, length and payload),
// which on the bare connection is a system call each; through the buffer
// it is one read when the peer sent them together. Whatever the buffer
// holds past the handshake is what the next reader of the connection (the
// multiplexer) reads first, and a read for as much as the buffer holds
// goes to the connection directly, so a BufConn can be kept for the
// connection's life at the cost of a check a read.
//
// Read must not be called concurrently; the other methods are the
// connection's.
type BufConn struct {
	net.Conn
	r *bufio.Reader
}

// bufConnSize is the buffer's size: a Hello, a preamble and a Welcome of
// a process with a few probes.
const bufConnSize = 1024

// NewBufConn returns c read through a buffer.
func NewBufConn(c net.Conn) *BufConn {
	return &BufConn{Conn: c, r: bufio.NewReaderSize(c, bufConnSize)}
}

func (c *BufConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// Buffered reports how many bytes have been received and not yet read.
func (c *BufConn) Buffered() int { return c.r.Buffered() }

// FrameBuffered reports whether the buffer holds a whole frame, whose
// read then waits on nothing: not whether the frame is well formed.
func (c *BufConn) FrameBuffered() bool {
	b, _ := c.r.Peek(c.r.Buffered())
	if len(b) < 1 {
		return false
	}
	n, k := binary.Uvarint(b[1:])
	return k > 0 && n <= uint64(len(b)-1-k)
}
