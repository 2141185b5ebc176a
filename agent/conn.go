package agent

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/mux"
	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/sandbox"
)

// Timeouts of a connection before a session starts: a peer that does not
// speak promptly is dropped, so idle or hostile connections cannot pile up.
const (
	// handshakeTimeout bounds everything before authentication: TLS,
	// preamble, Hello. One deadline for all of it.
	handshakeTimeout = 10 * time.Second
	// attachTimeout bounds an authenticated CLI's Attach.
	attachTimeout = 30 * time.Second
)

// errShuttingDown refuses a session that would start once the agent is ending.
var errShuttingDown = errors.New("refused session: the agent is shutting down")

// Frame size limits: before authentication only a Hello fits; after it,
// an Attach with a script of the largest size allowed.
const (
	maxHello  = 16 << 10
	maxAttach = sandbox.MaxSourceSize + 64<<10
)

// serve runs one connection. Everything before authentication happens on
// the raw connection under one deadline: the multiplexer (and its
// per-frame goroutines) only starts for a peer that proved who it is.
// release frees the connection's handshake slot once a dump or a probe
// listing holds a slot of its own; enter frees it and reports whether a
// session may start (not once the agent is ending).
func (a *Agent) serve(c net.Conn, release func(), enter func() bool) {
	peer := c.RemoteAddr().String()
	if peer == "" || peer == "@" {
		peer = "unix socket"
	}
	log := a.log.With("peer", peer)
	c.SetDeadline(time.Now().Add(handshakeTimeout))
	if tc, ok := c.(*tls.Conn); ok {
		if err := tc.Handshake(); err != nil {
			a.refusals.note(log, a.log, slog.LevelDebug, "tls handshake failed", "err", err)
			return
		}
	}
	// The CLI's preamble and Hello are read through a buffer, a read for
	// both, and so is the rest of the connection (protocol.BufConn).
	raw := c
	bc := protocol.NewBufConn(c)
	c = bc
	_, err := protocol.ReadPreamble(c)
	if errors.Is(err, protocol.ErrBadMagic) || errors.Is(err, protocol.ErrVersion) {
		// So that a CLI can say which versions differ. A CLI sends its Hello
		// without waiting for this answer: closing with it unread would
		// reset the connection, which on some systems loses the answer.
		if protocol.WritePreamble(c) == nil && errors.Is(err, protocol.ErrVersion) {
			linger(c)
		}
		a.refusals.note(log, a.log, slog.LevelDebug, "bad preamble", "err", err)
		return
	}
	if err != nil {
		log.Debug("connection closed before handshake", "err", err)
		return
	}
	// A CLI that sent its Hello with its preamble is not waiting for ours:
	// it goes with the answer, a write fewer; but only when the whole
	// Hello is here, so that no wait on the peer (whose deadline would be
	// the write's too) comes between the two, and the peer gets the
	// preamble in every case (a review found one that stalled mid-Hello
	// did not).
	var pre []byte
	if bc.FrameBuffered() {
		pre = protocol.AppendPreamble(nil)
	} else if err := protocol.WritePreamble(c); err != nil {
		return
	}
	if err := a.hello(c, raw, pre, peer); err != nil {
		if !errors.Is(err, io.EOF) {
			a.refusals.note(log, a.log, slog.LevelDebug, "handshake failed", "err", err)
		}
		return
	}
	c.SetDeadline(time.Time{})
	sess, err := mux.Server(c, log)
	if err != nil {
		a.dropped.note(log, a.log, slog.LevelDebug, "multiplexer failed", "err", err)
		return
	}
	defer sess.Close()
	err = a.attach(sess, peer, release, enter)
	if abuse := sess.Abuse(); abuse != nil {
		a.dropped.note(log, a.log, slog.LevelWarn, "authenticated peer abused the multiplexer", "err", abuse)
		return
	}
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, yamux.ErrSessionShutdown) && !errors.Is(err, errShuttingDown) {
		a.dropped.note(log, a.log, slog.LevelDebug, "attach failed", "err", err)
	}
}

// hello reads the CLI's Hello on the connection (before the multiplexer),
// authenticates it and answers Welcome, or Error and closes. raw is the
// connection as accepted, which authentication asks who is at the other
// end; pre (the agent's preamble, or nil) goes before the answer.
func (a *Agent) hello(c, raw net.Conn, pre []byte, peer string) error {
	var hello protocol.Hello
	t, payload, err := protocol.ReadFrameExact(c, maxHello)
	if err == nil && t != protocol.FrameHello {
		err = fmt.Errorf("%w: got %v, want Hello", protocol.ErrMalformed, t)
	}
	if err == nil {
		err = hello.Decode(payload)
	}
	if err != nil {
		if pre != nil {
			c.Write(pre) // as to any peer that sent a jstrace preamble
		}
		return err
	}
	how, err := a.authenticate(&hello, raw)
	if err != nil {
		e := &protocol.Error{Code: protocol.CodeAuth, Message: err.Error()}
		if protocol.WriteFrameAfter(c, pre, protocol.FrameError, e.Append(nil)) == nil {
			linger(c)
		}
		return err
	}
	a.log.Debug("peer authenticated", "peer", peer, "by", how, "client", hello.Client)
	welcome := &protocol.Welcome{
		Agent:    jstrace.Version,
		PID:      a.origin.PID,
		Title:    a.origin.Title,
		Hostname: a.origin.Hostname,
		Addr:     a.addr,
		Sessions: a.Sessions(),
		Probes:   jstrace.Probes(),
	}
	return protocol.WriteFrameAfter(c, pre, protocol.FrameWelcome, welcome.Append(nil))
}

// linger waits briefly for the peer to close after a refusal, so that
// closing never cuts the Error short; it reads and drops what comes.
func linger(c net.Conn) {
	c.SetReadDeadline(time.Now().Add(time.Second))
	io.Copy(io.Discard, io.LimitReader(c, 1<<16))
}

// stream accepts the next stream and checks its kind.
func stream(sess *mux.Session, want protocol.StreamKind, timeout time.Duration) (*yamux.Stream, error) {
	st, err := mux.Accept(sess, timeout)
	if err != nil {
		return nil, err
	}
	st.SetReadDeadline(time.Now().Add(timeout))
	var kind [1]byte
	if _, err := io.ReadFull(st, kind[:]); err != nil {
		st.Close()
		return nil, fmt.Errorf("read stream kind: %w", err)
	}
	st.SetReadDeadline(time.Time{})
	if protocol.StreamKind(kind[0]) != want {
		st.Close()
		return nil, fmt.Errorf("%w: stream of kind %#x, want %#x", protocol.ErrMalformed, kind[0], byte(want))
	}
	return st, nil
}

// attach reads an authenticated CLI's Attach and runs the session. A CLI
// that only wanted the Welcome (jstrace ls) has closed the connection.
func (a *Agent) attach(sess *mux.Session, peer string, release func(), enter func() bool) error {
	// The acknowledgements of the three streams go out in one write
	// (mux/cork.go), unless a dump or a probe listing answers first.
	sess.Cork()
	defer sess.Uncork()
	ctl, err := stream(sess, protocol.StreamControl, attachTimeout)
	if err != nil {
		return err
	}
	defer ctl.Close()
	fr := protocol.NewFrameReaderSize(ctl, protocol.SmallBuffer)
	fr.SetMaxSize(maxAttach)
	fw := protocol.NewFrameWriter(ctl)
	ctl.SetReadDeadline(time.Now().Add(attachTimeout))
	t, payload, err := fr.ReadFrame()
	if err != nil {
		return err
	}
	// A dump and a probe listing run one at a time each: once one holds
	// its own slot it gives back the handshake slot, which it would
	// otherwise hold for as long as a slow CLI reads it. Until then (the
	// wait for that slot, a refusal) it holds the handshake slot, so that
	// the connections waiting stay bounded.
	if t != protocol.FrameAttach {
		sess.Uncork()
	}
	switch t {
	case protocol.FrameDump:
		return a.dump(fw, fr, ctl, payload, release)
	case protocol.FrameProbesRequest:
		return a.probes(fw, fr, ctl, payload, release)
	}
	var attach protocol.Attach
	if t != protocol.FrameAttach {
		return fmt.Errorf("%w: got %v, want Attach", protocol.ErrMalformed, t)
	}
	if err := attach.Decode(payload); err != nil {
		return err
	}
	ctl.SetReadDeadline(time.Time{})
	events, err := stream(sess, protocol.StreamEvents, handshakeTimeout)
	if err != nil {
		return err
	}
	defer events.Close()
	console, err := stream(sess, protocol.StreamConsole, handshakeTimeout)
	if err != nil {
		return err
	}
	defer console.Close()
	sess.Uncork()

	if n := a.sessions.Add(1); int(n) > a.opts.MaxSessions {
		a.sessions.Add(-1)
		a.log.Warn("session refused", "peer", peer, "reason", "max sessions", "max_sessions", a.opts.MaxSessions)
		refuse(fw, fr, ctl, &protocol.Error{Code: protocol.CodeBusy, Message: fmt.Sprintf("%d sessions attached already", a.opts.MaxSessions)})
		return nil
	}
	defer a.sessions.Add(-1)
	if !enter() {
		refuse(fw, fr, ctl, &protocol.Error{Code: protocol.CodeBusy, Message: "the agent is shutting down"})
		return errShuttingDown
	}
	s := newSession(a, peer, &attach, fr, fw, ctl, events, console)
	s.run()
	return nil
}

// refuse sends an Error, then waits (briefly) for the CLI to close the
// stream, so that closing the connection never cuts the Error short.
func refuse(fw *protocol.FrameWriter, fr *protocol.FrameReader, ctl *yamux.Stream, e *protocol.Error) {
	if fw.Send(protocol.FrameError, e) != nil {
		return
	}
	awaitClose(fr, ctl)
}

// awaitClose waits (briefly) for the CLI to close the stream after the
// agent's last answer, reading and dropping what comes.
func awaitClose(fr *protocol.FrameReader, ctl *yamux.Stream) {
	ctl.SetReadDeadline(time.Now().Add(lingerTimeout))
	for {
		if _, _, err := fr.ReadFrame(); err != nil {
			return
		}
	}
}
