package agent

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

// handshakeSeed is the start of a real connection: preamble, Hello.
func handshakeSeed() []byte {
	var buf bytes.Buffer
	protocol.WritePreamble(&buf)
	hello := protocol.Hello{Token: "t", Client: "fuzz"}
	protocol.WriteFrame(&buf, protocol.FrameHello, hello.Append(nil))
	return buf.Bytes()
}

// FuzzHandshake feeds arbitrary bytes to the agent's connection handler,
// as an unauthenticated peer would: it must neither panic nor hang.
func FuzzHandshake(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("JSTR\x01"))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Add(handshakeSeed())
	a := fuzzAgent()
	f.Fuzz(func(t *testing.T, data []byte) {
		client, server := net.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			a.serve(server, func() {}, func() bool { return false })
		}()
		go io.Copy(io.Discard, client)
		client.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		client.Write(data)
		client.Close()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Fatal("the agent's handler hung on a closed connection")
		}
	})
}

// fuzzAgent is an agent whose connections are served by hand (serve).
func fuzzAgent() *Agent {
	return &Agent{
		opts:       Options{Token: "t", MaxSessions: 1, Logger: slog.New(slog.DiscardHandler)},
		log:        slog.New(slog.DiscardHandler),
		secret:     "s",
		handshakes: make(chan struct{}, 1),
	}
}

// FuzzHandshakePreamble feeds a peer's bytes in two writes, split where
// the fuzzer says (whether the Hello came with the preamble changes the
// agent's path), and then stalls without closing, as a peer may: the
// agent must not hang, and must answer its preamble to every peer that
// sent five bytes (docs/protocol.md, section 1).
func FuzzHandshakePreamble(f *testing.F) {
	seed := handshakeSeed()
	f.Add(seed, uint16(5))
	f.Add(seed, uint16(len(seed)))
	f.Add(seed[:8], uint16(8))
	f.Add([]byte("JSTR\x01hello"), uint16(3))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"), uint16(0))
	a := fuzzAgent()
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		k := int(split) % (len(data) + 1)
		cli, srv := net.Pipe()
		out := stalledHandshake(a, cli, srv, func(cli net.Conn) {
			cli.Write(data[:k])
			cli.Write(data[k:])
		})
		if len(data) >= 5 && !bytes.HasPrefix(out, protocol.AppendPreamble(nil)) {
			t.Fatalf("the peer sent %q (split at %d); the agent answered %q, not its preamble first", data, k, out)
		}
	})
}
