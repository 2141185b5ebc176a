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
	c.KeepAliveInterval = 5 * time.Second
	c.ConnectionWriteTimeout = 10 * time.Second
	c.StreamOpenTimeout = 10 * time.Second
	c.StreamCloseTimeout = 10 * time.Second
	c.MaxStreamWindowSize = 1 << 20
	c.LogOutput = nil
	c.Logger = logger{log}
	return c
}

// Server starts the agent's side of a connection.
func Server(c net.Conn, log *slog.Logger) (*yamux.Session, error) {
	return yamux.Server(c, config(log))
}

// Client starts the CLI's side of a connection.
func Client(c net.Conn, log *slog.Logger) (*yamux.Session, error) {
	return yamux.Client(c, config(log))
}

// Accept waits up to timeout for the peer to open a stream.
func Accept(s *yamux.Session, timeout time.Duration) (*yamux.Stream, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	st, err := s.AcceptStreamWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("accept stream: %w", err)
	}
	return st, nil
}

// logger sends yamux's messages to a slog.Logger at debug level.
type logger struct{ l *slog.Logger }

func (l logger) Print(v ...any)                 { l.l.Debug(fmt.Sprint(v...)) }
func (l logger) Printf(format string, v ...any) { l.l.Debug(fmt.Sprintf(format, v...)) }
func (l logger) Println(v ...any)               { l.l.Debug(fmt.Sprint(v...)) }
