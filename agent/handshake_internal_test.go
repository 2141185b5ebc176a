package agent

import (
	"bytes"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/nettest"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

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
			cli, srv := nettest.TCPPair(t)
			cc := &nettest.CountingConn{Conn: srv}
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
			if n := cc.Writes(); n != tt.writes {
				t.Fatalf("the agent answered in %d writes, want %d", n, tt.writes)
			}
			cli.Close()
			<-served
			io.Copy(io.Discard, cli)
		})
	}
}

// A peer that sent its preamble with part of its Hello and then stalls
// gets the agent's preamble all the same (a review found it did not: the
// preamble waited for the Hello, and the handshake's deadline, the
// write's too on TCP, passed first). The deadlines are cut to 50 ms.
func TestPartialHelloStallGetsPreamble(t *testing.T) {
	a := fuzzAgent()
	hello := protocol.AppendFrame(nil, protocol.FrameHello, (&protocol.Hello{Token: "t", Client: "x"}).Append(nil))
	for _, sent := range []int{1, 3, len(hello) - 1} { // the Hello's bytes sent
		cli, srv := nettest.TCPPair(t)
		out := stalledHandshake(a, cli, srv, func(cli net.Conn) {
			cli.Write(append(protocol.AppendPreamble(nil), hello[:sent]...))
		})
		if !bytes.HasPrefix(out, protocol.AppendPreamble(nil)) {
			t.Errorf("%d bytes of the Hello, then a stall: the agent answered %q, want its preamble first", sent, out)
		}
	}
}

// shortConn cuts every deadline set on it to 50 ms from now, so that the
// handshake's 10 s (and linger's 1 s) pass at once.
type shortConn struct{ net.Conn }

func (c shortConn) short(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.Now().Add(50 * time.Millisecond)
}
func (c shortConn) SetDeadline(t time.Time) error     { return c.Conn.SetDeadline(c.short(t)) }
func (c shortConn) SetReadDeadline(t time.Time) error { return c.Conn.SetReadDeadline(c.short(t)) }

// stalledHandshake serves srv with a (its deadlines cut by shortConn)
// while send writes to cli, which then stays open, a stalled peer, until
// the agent has answered five bytes or ended; it returns what the agent
// wrote.
func stalledHandshake(a *Agent, cli, srv net.Conn, send func(cli net.Conn)) []byte {
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.serve(shortConn{srv}, func() {}, func() bool { return false })
		srv.Close()
	}()
	var out lockedBuffer
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		io.Copy(&out, cli)
	}()
	cli.SetWriteDeadline(time.Now().Add(time.Second))
	send(cli)
	deadline := time.Now().Add(5 * time.Second)
	for out.len() < 5 && time.Now().Before(deadline) {
		select {
		case <-done:
			deadline = time.Now()
		case <-time.After(time.Millisecond):
		}
	}
	cli.Close()
	<-done
	<-copied
	return []byte(out.String())
}

// The bytes a peer sent behind its Hello, read ahead before it was
// authenticated, still go through the multiplexer's guard: 20 pings in
// the Hello's write are a flood (burst 16) and end the connection,
// unanswered.
func TestGuardSeesBytesReadAhead(t *testing.T) {
	a, err := Listen(Options{Addr: "127.0.0.1:0", NoDiscovery: true, Token: "t0ken", Logger: slog.New(slog.DiscardHandler)})
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
	b := protocol.AppendPreamble(nil)
	b = protocol.AppendFrame(b, protocol.FrameHello, (&protocol.Hello{Token: "t0ken", Client: "x"}).Append(nil))
	for i := range 20 {
		var h [12]byte
		h[1] = 2 // a ping
		binary.BigEndian.PutUint16(h[2:], 1)
		binary.BigEndian.PutUint32(h[8:], uint32(i))
		b = append(b, h[:]...)
	}
	if len(b) > protocol.SmallBuffer {
		t.Fatalf("%d bytes: more than the agent reads ahead", len(b))
	}
	nc.Write(b)
	if _, err := protocol.ReadPreamble(nc); err != nil {
		t.Fatal(err)
	}
	if ft, _, err := protocol.ReadFrameExact(nc, protocol.MaxFrameSize); err != nil || ft != protocol.FrameWelcome {
		t.Fatalf("read %v, %v; want Welcome", ft, err)
	}
	if rest, err := io.ReadAll(nc); len(rest) != 0 {
		t.Fatalf("the agent answered %d bytes to a ping flood (%v): the guard did not see it", len(rest), err)
	}
}
