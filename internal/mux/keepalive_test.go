package mux

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/jstrace-go/jstrace/internal/alarm"
	"github.com/jstrace-go/jstrace/internal/nettest"
)

// An agent's session pings its peer on the alarm clock's ticker (no Go
// timer pending between pings), which a CLI's Watchdog hears, and stays
// open while the peer answers; a session whose peer stops answering is
// closed once a ping times out, as yamux's keepalive closes it.
func TestServerKeepAlive(t *testing.T) {
	clock := alarm.New()
	defer clock.Close()
	log := slog.New(slog.DiscardHandler)

	defer func(d time.Duration) { keepAliveInterval = d }(keepAliveInterval)
	keepAliveInterval = 20 * time.Millisecond
	cli, agent := nettest.TCPPair(t)
	pc := &pingCounter{Conn: agent}
	srv, err := Server(pc, log, clock)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := yamux.Client(cli, config(log)) // answers pings
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for pc.pings.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := pc.pings.Load(); n < 3 {
		t.Fatalf("%d pings in 5 s", n)
	}
	if srv.IsClosed() {
		t.Fatal("closed while its peer answers")
	}

	// A peer that reads and never answers.
	mute, agent2 := nettest.TCPPair(t)
	go io.Copy(io.Discard, mute)
	conf := config(log)
	conf.EnableKeepAlive = false
	conf.ConnectionWriteTimeout = 100 * time.Millisecond
	s, err := yamux.Server(newGuard(agent2, Streams), conf)
	if err != nil {
		t.Fatal(err)
	}
	sess := &Session{s, nil}
	defer sess.Close()
	go keepAlive(sess, clock, 20*time.Millisecond)
	select {
	case <-sess.CloseChan():
	case <-time.After(5 * time.Second):
		t.Fatal("a session whose peer never answers a ping is still open")
	}
}
