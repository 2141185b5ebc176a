package mux

import (
	"encoding/binary"
	"time"
)

// How frames go out. yamux's sending goroutine writes a data frame as two
// writes, its header and then its payload: two system calls, two TLS
// records. A session's set-up is seven frames, and every batch of events
// or console output one. The guard holds a data frame's header back and
// writes it in one piece with the payload that follows, when that is
// small enough to copy (coalesceMax); a larger payload goes out after its
// header as before, since its own bytes then cost more than a call. The
// bytes sent are the same, in the same order, whatever yamux writes: a
// header held is written before any write that is not its payload, so only
// where the writes are cut changes. (A header whose payload yamux drops
// after a send timeout stays held until the next write; on the wire it
// would have broken the stream anyway.)
//
// Each write is bounded by writeTimeout, but the deadline is moved only
// once a tenth of it has passed since it was last set: setting it takes
// the poller's lock and moves a timer, which cost as much as a small write.

// coalesceMax is the largest payload written in one piece with its header.
const coalesceMax = 16 << 10

// writer is guard's sending state, owned by yamux's sending goroutine.
type writer struct {
	held     bool
	hdr      [headerSize]byte
	buf      []byte    // a held header, then its payload; grows to coalesceMax+headerSize at most
	deadline time.Time // the write deadline last set
}

func (g *guard) Write(b []byte) (int, error) {
	if g.c.on.Load() {
		if n, ok, err := g.corked(b); ok {
			return n, err
		}
	}
	w := &g.w
	if !w.held && len(b) == headerSize && b[1] == typeData {
		if n := binary.BigEndian.Uint32(b[8:]); n > 0 && n <= coalesceMax {
			copy(w.hdr[:], b)
			w.held = true
			return len(b), nil
		}
	}
	if now := time.Now(); now.After(w.deadline.Add(-g.writeTimeout * 9 / 10)) {
		w.deadline = now.Add(g.writeTimeout)
		g.Conn.SetWriteDeadline(w.deadline)
	}
	if !w.held {
		return g.Conn.Write(b)
	}
	w.held = false
	if uint32(len(b)) != binary.BigEndian.Uint32(w.hdr[8:]) { // not its payload: the header goes first, alone
		if _, err := g.Conn.Write(w.hdr[:]); err != nil {
			return 0, err
		}
		return g.Conn.Write(b)
	}
	w.buf = append(append(w.buf[:0], w.hdr[:]...), b...)
	n, err := g.Conn.Write(w.buf)
	return max(0, n-headerSize), err
}
