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
	a := &Agent{
		opts:       Options{Token: "t", MaxSessions: 1, Logger: slog.New(slog.DiscardHandler)},
		log:        slog.New(slog.DiscardHandler),
		secret:     "s",
		handshakes: make(chan struct{}, 1),
	}
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
