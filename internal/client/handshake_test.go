package client

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

// peer accepts one connection and returns what the client sent before the
// peer wrote anything (read for up to wait), after which it answers with
// reply and closes.
func peer(t *testing.T, ln net.Listener, wait time.Duration, reply []byte) <-chan string {
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- ""
			return
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(wait))
		b, _ := io.ReadAll(c) // until the deadline
		got <- string(b)
		c.Write(reply)
	}()
	return got
}

// What the client sends before the peer has answered: the Hello with a
// discovery secret goes with the preamble (a round trip fewer); a token
// never reaches a peer that has not shown itself an agent, as a service
// at a mistyped address would not.
func TestHelloBeforeAgentPreamble(t *testing.T) {
	for _, tt := range []struct {
		name  string
		opts  Options
		early bool
	}{
		{"secret", Options{Secret: "s3cr3t-of-the-file"}, true},
		{"nothing", Options{}, true},
		{"token", Options{Token: "t0ken-of-the-fleet"}, false},
		{"token and secret", Options{Token: "t0ken-of-the-fleet", Secret: "s3cr3t-of-the-file"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			got := peer(t, ln, 300*time.Millisecond, []byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err = Dial(ctx, ln.Addr().String(), tt.opts)
			if err == nil {
				t.Fatal("Dial of a peer that is not an agent succeeded")
			}
			sent := <-got
			if !strings.HasPrefix(sent, string(protocol.AppendPreamble(nil))) {
				t.Fatalf("sent %q: no preamble", sent)
			}
			hasHello := len(sent) > 5 && protocol.FrameType(sent[5]) == protocol.FrameHello
			if hasHello != tt.early {
				t.Fatalf("sent %q before the peer answered: Hello %v, want %v", sent, hasHello, tt.early)
			}
			if tt.opts.Token != "" && strings.Contains(sent, tt.opts.Token) {
				t.Fatalf("the token reached a peer that is not an agent: %q", sent)
			}
			if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "t0ken") {
				t.Fatalf("the error prints a credential: %v", err)
			}
		})
	}
}
