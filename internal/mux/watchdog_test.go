package mux

import (
	"encoding/binary"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/jstrace-go/jstrace/internal/nettest"
)

// pingCounter counts the pings (not their answers) written to a connection.
type pingCounter struct {
	net.Conn
	pings atomic.Int64
}

func (c *pingCounter) Write(b []byte) (int, error) {
	for p := b; len(p) >= headerSize; p = p[headerSize:] {
		if p[1] == typePing && binary.BigEndian.Uint16(p[2:])&flagSYN != 0 {
			c.pings.Add(1)
		}
		if p[1] == typeData {
			break // a payload follows: not headers any more
		}
	}
	return c.Conn.Write(b)
}

// agentEnd starts the agent's end of a pair with yamux's keepalive every
// interval, or none if interval is 0.
func agentEnd(t *testing.T, c net.Conn, interval time.Duration) {
	conf := config(slog.New(slog.DiscardHandler))
	conf.EnableKeepAlive = interval > 0
	if interval > 0 {
		conf.KeepAliveInterval = interval
	}
	s, err := yamux.Server(newGuard(c, Streams), conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
}

// A watched session whose agent says nothing is closed; one whose agent
// pings stays open, and sends no pings of its own.
func TestWatchdog(t *testing.T) {
	// The agent pings every 400 ms: often enough for a test, rarely enough
	// for the CLI's ping budget (a burst of 16, then one a second).
	w := &Watchdog{Silence: time.Second, Every: 50 * time.Millisecond}
	defer w.Close()
	// A session that kept its own keepalive would ping within the test.
	defer func(d time.Duration) { keepAliveInterval = d }(keepAliveInterval)
	keepAliveInterval = 100 * time.Millisecond
	log := slog.New(slog.DiscardHandler)

	quietCLI, quietAgent := nettest.TCPPair(t)
	agentEnd(t, quietAgent, 0)
	quiet, err := Client(quietCLI, log, w)
	if err != nil {
		t.Fatal(err)
	}
	chattyCLI, chattyAgent := nettest.TCPPair(t)
	agentEnd(t, chattyAgent, 400*time.Millisecond)
	pc := &pingCounter{Conn: chattyCLI}
	chatty, err := Client(pc, log, w)
	if err != nil {
		t.Fatal(err)
	}
	defer chatty.Close()

	select {
	case <-quiet.CloseChan():
	case <-time.After(10 * time.Second):
		t.Fatal("the session of a silent agent was not closed")
	}
	time.Sleep(2 * w.Silence) // the chatty one has had as long
	if chatty.IsClosed() {
		t.Fatal("the session of an agent that pings was closed")
	}
	if n := pc.pings.Load(); n != 0 {
		t.Fatalf("a watched session sent %d pings of its own", n)
	}
	w.mu.Lock()
	_, watched := w.sessions[quiet]
	w.mu.Unlock()
	if watched {
		t.Fatal("a closed session is still watched")
	}
}

// Close stops the watchdog's goroutine. A session it watched, still open,
// and one made after it, each ping their peer themselves, as a session
// without a watchdog does: a session has one or the other (a review found
// the one made after went without either).
func TestWatchdogClose(t *testing.T) {
	defer func(d time.Duration) { keepAliveInterval = d }(keepAliveInterval)
	keepAliveInterval = 50 * time.Millisecond
	w := &Watchdog{Silence: time.Hour}
	log := slog.New(slog.DiscardHandler)
	session := func() (*Session, *pingCounter) {
		cli, agent := nettest.TCPPair(t)
		agentEnd(t, agent, 0)
		pc := &pingCounter{Conn: cli}
		s, err := Client(pc, log, w)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s, pc
	}
	before, pcBefore := session()
	w.Close()
	select {
	case <-w.done:
	default:
		t.Fatal("Close returned before the watchdog's goroutine ended")
	}
	w.Close() // twice: nothing
	after, pcAfter := session()
	time.Sleep(300 * time.Millisecond)
	for _, c := range []struct {
		name string
		s    *Session
		pc   *pingCounter
	}{{"watched until Close", before, pcBefore}, {"made after Close", after, pcAfter}} {
		if c.s.IsClosed() {
			t.Errorf("%s: closed", c.name)
		}
		if c.pc.pings.Load() == 0 {
			t.Errorf("%s: does not ping its peer", c.name)
		}
	}
}

// When a peer was last heard from is a time on the monotonic clock, which
// Time.String shows as "m=": silence is then measured on it, and a step
// of the wall clock cannot close every watched session, nor none (a
// review found it was wall time).
func TestLastHeardIsMonotonic(t *testing.T) {
	cli, agent := nettest.TCPPair(t)
	g := newGuard(cli, 0)
	go agent.Write([]byte{0})
	if _, err := g.Read(make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	if h := g.lastHeard().String(); !strings.Contains(h, " m=") {
		t.Fatalf("last heard %s: no monotonic reading", h)
	}
}
