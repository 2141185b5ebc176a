// Package mux sets up the yamux session that carries a jstrace connection,
// the same way on both ends.
package mux

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/hashicorp/yamux"
)

// config is tuned for a tracing connection: few streams, dead peers noticed
// within seconds, and no logging on os.Stderr of the traced process.
func config(log *slog.Logger) *yamux.Config {
	c := yamux.DefaultConfig()
	c.AcceptBacklog = 4
	c.KeepAliveInterval = keepAliveInterval
	c.ConnectionWriteTimeout = 10 * time.Second
	c.StreamOpenTimeout = 10 * time.Second
	c.StreamCloseTimeout = 10 * time.Second
	c.MaxStreamWindowSize = 1 << 20
	c.LogOutput = nil
	c.Logger = logger{log}
	return c
}

// keepAliveInterval is how often a session pings its peer; an agent's
// pings are also what a CLI's Watchdog listens for. A variable for tests.
var keepAliveInterval = 5 * time.Second

// Streams is how many streams the CLI opens on a connection (control,
// events, console): the agent accepts no more, and the CLI none.
const Streams = 3

// A Session is a yamux session over a guarded connection (see the budgets
// in guard.go). Its methods are yamux's, safe for concurrent use.
type Session struct {
	*yamux.Session
	g *guard
}

// Abuse returns the budget the peer exceeded, which closed the
// connection, or nil.
func (s *Session) Abuse() error { return s.g.Err() }

// Server starts the agent's side of a connection.
func Server(c net.Conn, log *slog.Logger) (*Session, error) {
	g := newGuard(c, Streams)
	s, err := yamux.Server(g, config(log))
	if err != nil {
		return nil, err
	}
	return &Session{s, g}, nil
}

// Client starts the CLI's side of a connection. With a Watchdog (w not
// nil) the session does not ping the agent itself: w closes it once the
// agent has been silent too long.
func Client(c net.Conn, log *slog.Logger, w *Watchdog) (*Session, error) {
	g := newGuard(c, 0)
	conf := config(log)
	// The CLI bounds each exchange on a stream it opens (an attach's
	// answer, a dump) itself: no timer and goroutine a stream for the
	// agent's acknowledgement.
	conf.StreamOpenTimeout = 0
	conf.EnableKeepAlive = w == nil
	s, err := yamux.Client(g, conf)
	if err != nil {
		return nil, err
	}
	sess := &Session{s, g}
	if w != nil && !w.watch(sess) {
		go keepAlive(sess) // a watchdog closed already: pings as without one
	}
	return sess, nil
}

// Accept waits up to timeout for the peer to open a stream.
func Accept(s *Session, timeout time.Duration) (*yamux.Stream, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	st, err := s.AcceptStreamWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("accept stream: %w", err)
	}
	return st, nil
}

// logger sends yamux's messages to a slog.Logger at debug level; it
// formats nothing when that level is off (a peer chooses how often yamux
// logs).
type logger struct{ l *slog.Logger }

func (l logger) on() bool { return l.l.Enabled(context.Background(), slog.LevelDebug) }

func (l logger) Print(v ...any) {
	if l.on() {
		l.l.Debug("multiplexer message", "text", fmt.Sprint(v...))
	}
}

func (l logger) Printf(format string, v ...any) {
	if l.on() {
		l.l.Debug("multiplexer message", "text", fmt.Sprintf(format, v...))
	}
}

func (l logger) Println(v ...any) { l.Print(v...) }
