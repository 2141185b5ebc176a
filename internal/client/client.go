// Package client is the CLI's end of a connection to one agent: dial,
// handshake, attach a script, receive events and console output, stop.
package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/mux"
	"github.com/jstrace-go/jstrace/protocol"
	"github.com/jstrace-go/jstrace/script"
)

// ErrLost means the connection to the agent ended before the session did.
var ErrLost = errors.New("connection to agent lost")

// Handler receives a session's traffic. Events and Console are called from
// one goroutine each and may block: the agent then holds back (and counts
// what it must drop).
type Handler interface {
	// Events receives the records of one Events frame; batch is the
	// handler's to keep.
	Events(c *Conn, batch []byte)
	// Console receives one piece of remote console output.
	Console(c *Conn, m protocol.Console)
	// Stats receives the agent's periodic counters.
	Stats(c *Conn, s protocol.Stats)
}

// A Conn is a connection to one agent. Its methods may be called from any
// goroutine, but Attach at most once.
type Conn struct {
	Welcome protocol.Welcome
	Origin  script.Origin
	Addr    string

	nc   net.Conn
	sess *yamux.Session
	ctl  *yamux.Stream
	fr   *protocol.FrameReader
	fw   *protocol.FrameWriter

	done      chan struct{} // closed when the session's readers have ended
	mu        sync.Mutex
	stats     protocol.Stats
	gotDone   bool
	readerErr error
}

// Dial connects to the agent at addr and performs the handshake. log
// receives the connection's debug messages; nil discards them.
func Dial(ctx context.Context, addr, token string, log *slog.Logger) (*Conn, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	c, err := handshake(ctx, nc, addr, token, log)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

func handshake(ctx context.Context, nc net.Conn, addr, token string, log *slog.Logger) (*Conn, error) {
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	if err := protocol.WritePreamble(nc); err != nil {
		return nil, fmt.Errorf("%s: %w", addr, err)
	}
	if v, err := protocol.ReadPreamble(nc); err != nil {
		if errors.Is(err, protocol.ErrVersion) {
			return nil, fmt.Errorf("%s: %w: agent speaks %d, this jstrace speaks %d", addr, protocol.ErrVersion, v, protocol.Version)
		}
		return nil, fmt.Errorf("%s: %w", addr, err)
	}
	nc.SetDeadline(time.Time{})
	sess, err := mux.Client(nc, log)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", addr, err)
	}
	c := &Conn{Addr: addr, nc: nc, sess: sess, done: make(chan struct{})}
	if c.ctl, err = c.open(protocol.StreamControl); err != nil {
		sess.Close()
		return nil, err
	}
	c.fr = protocol.NewFrameReader(c.ctl)
	c.fw = protocol.NewFrameWriter(c.ctl)
	if dl, ok := ctx.Deadline(); ok {
		c.ctl.SetDeadline(dl)
	}
	if err := c.fw.Send(protocol.FrameHello, &protocol.Hello{Token: token, Client: jstrace.Version}); err != nil {
		sess.Close()
		return nil, fmt.Errorf("%s: send Hello: %w", addr, err)
	}
	if err := c.expect(protocol.FrameWelcome, &c.Welcome); err != nil {
		sess.Close()
		return nil, err
	}
	c.ctl.SetDeadline(time.Time{})
	c.Origin = script.Origin{Hostname: c.Welcome.Hostname, Title: c.Welcome.Title, PID: c.Welcome.PID}
	return c, nil
}

// open opens a stream of the given kind.
func (c *Conn) open(kind protocol.StreamKind) (*yamux.Stream, error) {
	st, err := c.sess.OpenStream()
	if err != nil {
		return nil, fmt.Errorf("%s: open stream: %w", c.Addr, err)
	}
	if _, err := st.Write([]byte{byte(kind)}); err != nil {
		st.Close()
		return nil, fmt.Errorf("%s: open stream: %w", c.Addr, err)
	}
	return st, nil
}

// expect reads the next control frame into m; an Error frame is returned as
// a *protocol.Error.
func (c *Conn) expect(t protocol.FrameType, m interface{ Decode([]byte) error }) error {
	got, payload, err := c.fr.ReadFrame()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = ErrLost
		}
		return fmt.Errorf("%s: read %v: %w", c.Addr, t, err)
	}
	if got == protocol.FrameError {
		var e protocol.Error
		if err := e.Decode(payload); err != nil {
			return fmt.Errorf("%s: %w", c.Addr, err)
		}
		return &e
	}
	if got != t {
		return fmt.Errorf("%s: %w: got %v, want %v", c.Addr, protocol.ErrMalformed, got, t)
	}
	if err := m.Decode(payload); err != nil {
		return fmt.Errorf("%s: %w", c.Addr, err)
	}
	return nil
}

// Close closes the connection.
func (c *Conn) Close() error { return c.sess.Close() }
