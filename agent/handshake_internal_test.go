package agent

import (
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

// countingConn counts the writes to a connection.
type countingConn struct {
	net.Conn
	writes atomic.Int64
}

func (c *countingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// The agent's preamble goes with its Welcome when the CLI's Hello came
// with the CLI's preamble (one write), and at once when the CLI waits for
// it before sending its Hello (a CLI with a token does): two writes.
func TestHandshakeWrites(t *testing.T) {
	a, err := Listen(Options{Addr: "127.0.0.1:0", NoDiscovery: true, Token: "t0ken-for-the-test"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	hello := protocol.AppendFrame(nil, protocol.FrameHello, (&protocol.Hello{Client: "test", Token: "t0ken-for-the-test"}).Append(nil))
	for _, tt := range []struct {
		name   string
		early  bool
		writes int64
	}{
		{"hello with the preamble", true, 1},
		{"hello after the agent's preamble", false, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			cli, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer cli.Close()
			srv, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			cc := &countingConn{Conn: srv}
			served := make(chan struct{})
			go func() {
				defer close(served)
				a.serve(cc, func() {}, func() bool { return false })
			}()
			cli.SetDeadline(time.Now().Add(10 * time.Second))
			first := protocol.AppendPreamble(nil)
			if tt.early {
				first = append(first, hello...)
			}
			cli.Write(first)
			if _, err := protocol.ReadPreamble(cli); err != nil {
				t.Fatal(err)
			}
			if !tt.early {
				cli.Write(hello)
			}
			ft, payload, err := protocol.ReadFrameExact(cli, protocol.MaxFrameSize)
			if err != nil || ft != protocol.FrameWelcome {
				t.Fatalf("read %v frame (%q), %v; want Welcome", ft, payload, err)
			}
			if n := cc.writes.Load(); n != tt.writes {
				t.Fatalf("the agent answered in %d writes, want %d", n, tt.writes)
			}
			cli.Close()
			<-served
			io.Copy(io.Discard, cli)
		})
	}
}
