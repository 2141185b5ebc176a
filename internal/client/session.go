package client

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jstrace-go/jstrace/internal/mux"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// attachTimeout bounds the agent's answer to Attach: loading a script takes
// milliseconds.
const attachTimeout = 30 * time.Second

// Attach opens the events and console streams, ships the script and waits
// for the agent to load it. On success, h receives the session's traffic
// until Wait returns. A script the agent refuses is a *protocol.Error with
// Code protocol.CodeScript.
func (c *Conn) Attach(a *protocol.Attach, h Handler) (*protocol.Attached, error) {
	sess, err := mux.Client(c.nc, c.log, c.wd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Addr, err)
	}
	c.sess = sess
	// The opens, the streams' kinds and the Attach go out in one write
	// (mux/cork.go).
	sess.Cork()
	defer sess.Uncork()
	if c.ctl, err = c.open(protocol.StreamControl); err != nil {
		return nil, err
	}
	c.fr = protocol.NewFrameReaderSize(c.ctl, protocol.SmallBuffer)
	c.fw = protocol.NewFrameWriter(c.ctl)
	events, err := c.open(protocol.StreamEvents)
	if err != nil {
		return nil, err
	}
	console, err := c.open(protocol.StreamConsole)
	if err != nil {
		return nil, err
	}
	// An agent that grants no window must not hold the CLI: the write of
	// the script is bounded like the answer.
	c.ctl.SetWriteDeadline(time.Now().Add(attachTimeout))
	sendErr := c.fw.Send(protocol.FrameAttach, a)
	if err := sess.Uncork(); sendErr == nil {
		sendErr = err
	}
	c.ctl.SetWriteDeadline(time.Time{})
	timeout := attachTimeout
	if sendErr != nil {
		// The agent may have read it and answered (a refusal) before the
		// write's completion reached us: look for that answer.
		timeout = time.Second
	}
	c.ctl.SetReadDeadline(time.Now().Add(timeout))
	var attached protocol.Attached
	if err := c.expect(protocol.FrameAttached, &attached); err != nil {
		var pe *protocol.Error
		if sendErr != nil && !errors.As(err, &pe) {
			return nil, fmt.Errorf("%s: send Attach: %w", c.Addr, sendErr)
		}
		return nil, err
	}
	c.ctl.SetReadDeadline(time.Time{})

	c.readers.Store(3)
	go func() {
		defer c.readerDone()
		c.readStream(protocol.NewFrameReader(events), func(t protocol.FrameType, p []byte) error {
			if t != protocol.FrameEvents {
				return fmt.Errorf("%w: %v frame on the events stream", protocol.ErrMalformed, t)
			}
			h.Events(c, append([]byte(nil), p...))
			return nil
		})
	}()
	go func() {
		defer c.readerDone()
		c.readStream(protocol.NewFrameReaderSize(console, protocol.SmallBuffer), func(t protocol.FrameType, p []byte) error {
			var m protocol.Console
			if t != protocol.FrameConsole {
				return fmt.Errorf("%w: %v frame on the console stream", protocol.ErrMalformed, t)
			}
			if err := m.Decode(p); err != nil {
				return err
			}
			h.Console(c, m)
			return nil
		})
	}()
	go func() {
		defer c.readerDone()
		// c.fr, which read Attached: what it buffered after it (a Warning
		// sent at once) is the control stream's next frames.
		c.readStream(c.fr, func(t protocol.FrameType, p []byte) error {
			var s protocol.Stats
			switch t {
			case protocol.FrameStats, protocol.FrameDone:
				if err := s.Decode(p); err != nil {
					return err
				}
			case protocol.FrameWarning:
				return c.warning(h, p)
			case protocol.FrameError:
				var e protocol.Error
				if err := e.Decode(p); err != nil {
					return err
				}
				return &e
			default:
				return fmt.Errorf("%w: unexpected %v frame", protocol.ErrMalformed, t)
			}
			if t == protocol.FrameStats {
				h.Stats(c, s)
				return nil
			}
			c.mu.Lock()
			c.stats, c.gotDone = s, true
			c.mu.Unlock()
			return io.EOF // Done is the last control frame
		})
	}()
	return &attached, nil
}

// readerDone is called by each of a session's three readers as it ends;
// the last one ends the session.
func (c *Conn) readerDone() {
	if c.readers.Add(-1) > 0 {
		return
	}
	close(c.done) // before ended: OnEnd's function sees it closed
	c.mu.Lock()
	c.ended = true
	fn := c.onEnd
	c.mu.Unlock()
	if fn != nil {
		fn()
	}
}

// OnEnd arranges for fn to be called once the session has ended, cleanly
// or not (Done is closed, Wait returns at once): on the goroutine that saw
// it end, or now on the caller's if it has. A Conn has one at most.
func (c *Conn) OnEnd(fn func()) {
	c.mu.Lock()
	if !c.ended {
		c.onEnd = fn
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	fn()
}

// readStream reads frames from fr until the stream ends, passing them to
// fn; the first error other than the end of the stream is kept for Wait.
func (c *Conn) readStream(fr *protocol.FrameReader, fn func(protocol.FrameType, []byte) error) {
	for {
		t, p, err := fr.ReadFrame()
		if err == nil {
			err = fn(t, p)
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				c.mu.Lock()
				if c.readerErr == nil {
					c.readerErr = err
				}
				c.mu.Unlock()
				c.sess.Close() // a broken stream ends the session
			}
			return
		}
	}
}

// stopWriteTimeout bounds sending Stop: an agent that grants no window
// for it is cut off by Wait's timeout anyway.
const stopWriteTimeout = time.Second

// Stop asks the agent to end the session: it runs the remote cleanup, sends
// what remains, and answers Done. It waits at most a second for the agent
// to take the request.
func (c *Conn) Stop() error {
	c.ctl.SetWriteDeadline(time.Now().Add(stopWriteTimeout))
	return c.fw.Send(protocol.FrameStop, nil)
}

// finalStats returns the counters of the agent's Done (zero before it).
func (c *Conn) finalStats() protocol.Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Done is closed when the session has ended, cleanly or not.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Wait waits for the session to end, at most timeout after Stop was
// called (0: no limit), and returns the agent's final counters. The error
// is nil after a clean end (Done received, every stream read to its end),
// ErrLost if the connection died, or what broke the session.
func (c *Conn) Wait(timeout time.Duration) (protocol.Stats, error) {
	var expire <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expire = t.C
	}
	select {
	case <-c.done:
	case <-expire:
		c.sess.Close()
		<-c.done
	}
	if err := c.sess.Abuse(); err != nil {
		return c.finalStats(), fmt.Errorf("%s: %w", c.Addr, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.readerErr != nil:
		return c.stats, c.readerErr
	case !c.gotDone:
		return c.stats, ErrLost
	}
	return c.stats, nil
}
