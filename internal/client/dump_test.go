package client

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/mux"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// oldAgent serves one connection as an agent that predates Dump does: it
// answers the handshake, then reads the first control frame, and closes
// the connection if it is not an Attach (an agent that does not know a
// frame type finds it malformed).
func oldAgent(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		if _, err := protocol.ReadPreamble(c); err != nil {
			return
		}
		protocol.WritePreamble(c)
		if _, _, err := protocol.ReadFrameExact(c, 1<<14); err != nil {
			return
		}
		w := protocol.Welcome{Agent: "0.0.9", PID: 1, Title: "old", Hostname: "h"}
		protocol.WriteFrame(c, protocol.FrameWelcome, w.Append(nil))
		sess, err := mux.Server(c, slog.New(slog.DiscardHandler))
		if err != nil {
			return
		}
		defer sess.Close()
		st, err := mux.Accept(sess, 5*time.Second)
		if err != nil {
			return
		}
		io.ReadFull(st, make([]byte, 1))
		if ft, _, err := protocol.NewFrameReader(st).ReadFrame(); err == nil && ft == protocol.FrameAttach {
			time.Sleep(time.Second)
		}
	}()
	return ln.Addr().String()
}

func TestDumpOldAgent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, oldAgent(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _, err = c.Dump(&protocol.Dump{})
	if !errors.Is(err, ErrNoDump) || !strings.Contains(err.Error(), "jstrace 0.0.9") {
		t.Fatalf("Dump to an old agent = %v, want ErrNoDump naming its version", err)
	}
}
