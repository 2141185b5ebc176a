package client

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jstrace-go/jstrace/internal/mux"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// ErrNoDump means the agent closed the connection on a Dump without an
// answer: it predates the flight recorder (agents that do not know a frame
// type close the connection).
var ErrNoDump = errors.New("the agent closed the connection without an answer: it predates jstrace dump and jstrace probes")

// dumpTimeout bounds a dump: the agent copies its recorder and sends it.
const dumpTimeout = 2 * time.Minute

// Dump fetches the agent's flight recorder instead of attaching a script:
// the Flight header and the records, each prefixed by its length (the
// payload of Events frames). An agent without a recorder answers a
// *protocol.Error with Code protocol.CodeNoFlight; one that predates Dump,
// ErrNoDump. A Conn carries one Dump or one Attach.
func (c *Conn) Dump(req *protocol.Dump) (*protocol.Flight, []byte, error) {
	var head protocol.Flight
	if err := c.request(protocol.FrameDump, req, protocol.FrameFlight, &head, dumpTimeout); err != nil {
		return nil, nil, err
	}
	// The header announces the size: grow with what arrives, never past it.
	var recs []byte
	n := uint64(0)
	for uint64(len(recs)) < head.Bytes {
		t, p, err := c.fr.ReadFrame()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: dump cut short after %d of %d bytes: %w", c.Addr, len(recs), head.Bytes, noEOF(err))
		}
		if t != protocol.FrameEvents {
			return nil, nil, fmt.Errorf("%s: %w: %v frame in a dump", c.Addr, protocol.ErrMalformed, t)
		}
		if uint64(len(recs)+len(p)) > head.Bytes {
			return nil, nil, fmt.Errorf("%s: %w: dump longer than announced (%d bytes)", c.Addr, protocol.ErrMalformed, head.Bytes)
		}
		for q := p; len(q) > 0; n++ {
			rec, rest, err := protocol.NextRecord(q)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: dump: %w", c.Addr, err)
			}
			_ = rec
			q = rest
		}
		recs = append(recs, p...)
	}
	if n != head.Records {
		return nil, nil, fmt.Errorf("%s: %w: dump of %d records, %d announced", c.Addr, protocol.ErrMalformed, n, head.Records)
	}
	return &head, recs, nil
}

func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// request opens the control stream, sends a request of type t that
// replaces Attach, and reads the answer of type want into m (an Error as a
// *protocol.Error); the control stream's deadline is now+timeout.
func (c *Conn) request(t protocol.FrameType, req protocol.Message, want protocol.FrameType, m interface{ Decode([]byte) error }, timeout time.Duration) error {
	sess, err := mux.Client(c.nc, c.log, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Addr, err)
	}
	c.sess = sess
	if c.ctl, err = c.open(protocol.StreamControl); err != nil {
		return err
	}
	c.fr = protocol.NewFrameReaderSize(c.ctl, protocol.SmallBuffer)
	c.fw = protocol.NewFrameWriter(c.ctl)
	c.ctl.SetDeadline(time.Now().Add(timeout))
	// The agent may have read the request, answered and closed before the
	// write's completion reached us: look for that answer all the same.
	sendErr := c.fw.Send(t, req)
	got, payload, err := c.fr.ReadFrame()
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || sess.IsClosed() {
			return fmt.Errorf("%s (jstrace %s): %w", c.Addr, c.Welcome.Agent, ErrNoDump)
		}
		if sendErr != nil {
			return fmt.Errorf("%s: send %v: %w", c.Addr, t, sendErr)
		}
		return fmt.Errorf("%s: read %v: %w", c.Addr, want, err)
	}
	if err := decodeReply(got, payload, want, m); err != nil {
		var pe *protocol.Error
		if errors.As(err, &pe) {
			return err
		}
		return fmt.Errorf("%s: %w", c.Addr, err)
	}
	return nil
}
