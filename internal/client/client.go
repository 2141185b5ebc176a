// Package client is the CLI's end of a connection to one agent: dial,
// handshake, attach a script, receive events and console output, stop.
package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/mux"
	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost"
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
	Origin  scripthost.Origin
	Addr    string

	nc   net.Conn
	log  *slog.Logger
	wd   *mux.Watchdog // Options.Watchdog
	sess *mux.Session  // nil until Attach
	ctl  *yamux.Stream
	fr   *protocol.FrameReader
	fw   *protocol.FrameWriter

	done      chan struct{} // closed when the session's readers have ended
	readers   atomic.Int32  // the session's readers still reading
	mu        sync.Mutex
	stats     protocol.Stats
	gotDone   bool
	readerErr error
	ended     bool   // done is closed
	onEnd     func() // see OnEnd
}

// Options say how to reach and convince an agent. The zero value dials
// plain TCP with no credentials (enough for an agent of the same user on
// Linux).
type Options struct {
	Token  string      // the agent's token
	Secret string      // the secret of the agent's discovery file
	TLS    *tls.Config // nil: plain TCP
	Log    *slog.Logger
	// Watchdog, if not nil, watches an attached session for the agent's
	// silence in place of the session's own keepalive (mux.Watchdog).
	// Default: nil, the session pings the agent itself.
	Watchdog *mux.Watchdog
}

// Dial connects to the agent at addr ("host:port" or "unix:/path") and
// performs the handshake.
func Dial(ctx context.Context, addr string, opts Options) (*Conn, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	network, dialAddr := "tcp", addr
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		network, dialAddr = "unix", path
	}
	// No TCP keepalive: the multiplexer pings the agent itself (mux), and
	// the handshake has its deadline; TCP's would cost four system calls
	// a connection to set.
	d := net.Dialer{KeepAlive: -1}
	nc, err := d.DialContext(ctx, network, dialAddr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	c, err := handshake(ctx, nc, addr, opts)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

func handshake(ctx context.Context, nc net.Conn, addr string, opts Options) (c *Conn, err error) {
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	// A cancelled ctx ends the handshake at once, not at its deadline: a
	// peer that never answers must not hold a Ctrl-C (or a bounded scan's
	// slot) for dialTimeout.
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	defer func() {
		if !stop() && err == nil {
			err = fmt.Errorf("%s: %w", addr, context.Cause(ctx)) // the deadline may be set: the Conn is spoilt
		} else if err != nil && errors.Is(ctx.Err(), context.Canceled) {
			err = fmt.Errorf("%w (%w)", err, context.Cause(ctx))
		}
	}()
	if opts.TLS != nil {
		conf := opts.TLS
		if conf.ServerName == "" {
			conf = conf.Clone()
			conf.ServerName = "localhost" // a Unix socket
			if host, _, err := net.SplitHostPort(addr); err == nil {
				conf.ServerName = host
			}
		}
		tc := tls.Client(nc, conf)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("%s: TLS: %w", addr, err)
		}
		nc = tc
	}
	log := opts.Log
	// The Hello goes with the preamble, a round trip fewer, unless it
	// carries a token and nothing has proven the peer an agent yet: a
	// token may open other agents too, and a mistyped address must not
	// receive it. A discovery file's secret opens only its own agent, and
	// TLS has verified the peer.
	hello := protocol.Hello{Token: opts.Token, Secret: opts.Secret, Client: jstrace.Version}
	early := opts.Token == "" || opts.TLS != nil
	first := protocol.AppendPreamble(nil)
	if early {
		first = protocol.AppendFrame(first, protocol.FrameHello, hello.Append(nil))
	}
	if _, err := nc.Write(first); err != nil {
		return nil, fmt.Errorf("%s: %w", addr, err)
	}
	// The agent's preamble and Welcome are read through a buffer, a read
	// for both, and so is the rest of the connection (protocol.BufConn).
	bc := protocol.NewBufConn(nc)
	if v, err := protocol.ReadPreamble(bc); err != nil {
		if errors.Is(err, protocol.ErrVersion) {
			return nil, fmt.Errorf("%s: %w: agent speaks %d, this jstrace speaks %d", addr, protocol.ErrVersion, v, protocol.Version)
		}
		return nil, fmt.Errorf("%s: %w", addr, err)
	}
	if !early {
		if err := protocol.WriteFrame(nc, protocol.FrameHello, hello.Append(nil)); err != nil {
			return nil, fmt.Errorf("%s: send Hello: %w", addr, err)
		}
	}
	c = &Conn{Addr: addr, nc: bc, log: log, wd: opts.Watchdog, done: make(chan struct{})}
	t, payload, err := protocol.ReadFrameExact(bc, protocol.MaxFrameSize)
	if err == nil {
		err = decodeReply(t, payload, protocol.FrameWelcome, &c.Welcome)
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = ErrLost
		}
		var pe *protocol.Error
		if errors.As(err, &pe) {
			return nil, err
		}
		return nil, fmt.Errorf("%s: read Welcome: %w", addr, err)
	}
	nc.SetDeadline(time.Time{})
	c.Origin = scripthost.Origin{Hostname: c.Welcome.Hostname, Title: c.Welcome.Title, PID: c.Welcome.PID}
	return c, nil
}

// decodeReply decodes a reply that is either of type want or an Error
// (returned as a *protocol.Error).
func decodeReply(got protocol.FrameType, payload []byte, want protocol.FrameType, m interface{ Decode([]byte) error }) error {
	if got == protocol.FrameError {
		var e protocol.Error
		if err := e.Decode(payload); err != nil {
			return err
		}
		return &e
	}
	if got != want {
		return fmt.Errorf("%w: got %v, want %v", protocol.ErrMalformed, got, want)
	}
	return m.Decode(payload)
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
	if err := decodeReply(got, payload, t, m); err != nil {
		var pe *protocol.Error
		if errors.As(err, &pe) {
			return err
		}
		return fmt.Errorf("%s: %w", c.Addr, err)
	}
	return nil
}

// Close closes the connection.
func (c *Conn) Close() error {
	if c.sess != nil {
		return c.sess.Close()
	}
	return c.nc.Close()
}
