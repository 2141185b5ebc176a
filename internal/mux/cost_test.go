package mux

import (
	"io"
	"log/slog"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/yamux"
)

// frameConn is a peer that sends the same frame for ever, on stream 1 after
// opening it, and never more data than the stream's reader has left
// unread beyond half a window (as yamux's flow control lets it).
type frameConn struct {
	net.Conn // nil: only Read, Write, Close and deadlines are used
	pending  []byte
	frame    []byte
	payload  int
	sent     atomic.Int64 // payload bytes sent
	consumed *atomic.Int64
	closed   atomic.Bool
}

func (c *frameConn) Read(b []byte) (int, error) {
	n := 0
	for n < len(b) {
		if len(c.pending) == 0 {
			for c.sent.Load()-c.consumed.Load() > 128<<10 {
				if c.closed.Load() {
					return n, io.EOF
				}
				if n > 0 {
					return n, nil
				}
				runtime.Gosched()
			}
			c.pending = c.frame
			c.sent.Add(int64(c.payload))
		}
		k := copy(b[n:], c.pending)
		c.pending = c.pending[k:]
		n += k
	}
	return n, nil
}

func (c *frameConn) Write(b []byte) (int, error)      { return len(b), nil }
func (c *frameConn) Close() error                     { c.closed.Store(true); return nil }
func (c *frameConn) SetWriteDeadline(time.Time) error { return nil }
func (c *frameConn) LocalAddr() net.Addr              { return nil }
func (c *frameConn) RemoteAddr() net.Addr             { return nil }

// BenchmarkReceive measures what a frame costs the receiving end of a
// session (yamux's receiving goroutine and the stream's reader), by kind
// and size of frame: the figures behind the budgets in guard.go.
func BenchmarkReceive(b *testing.B) {
	for _, bc := range []struct {
		name string
		typ  byte
		size int
	}{
		{"data/1", typeData, 1},
		{"data/100", typeData, 100},
		{"data/1024", typeData, 1024},
		{"data/16384", typeData, 16384},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var consumed atomic.Int64
			frame := header(bc.typ, 0, 1, 0)
			if bc.typ == typeData {
				frame = append(header(typeData, 0, 1, uint32(bc.size)), make([]byte, bc.size)...)
			}
			c := &frameConn{pending: header(typeWindowUpdate, flagSYN, 1, 0), frame: frame, payload: bc.size, consumed: &consumed}
			cfg := config(slog.New(slog.DiscardHandler))
			cfg.EnableKeepAlive = false
			s, err := yamux.Server(c, cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			st, err := s.AcceptStream()
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 64<<10)
			b.ResetTimer()
			want := int64(b.N * bc.size)
			for consumed.Load() < want {
				n, err := st.Read(buf)
				consumed.Add(int64(n))
				if err != nil && err != io.EOF {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(bc.size + headerSize))
		})
	}
}
