package mux

import (
	"cmp"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"
)

// Corking. A session's set-up is several frames written one after the
// other with nothing to wait for between them: the CLI's three stream
// opens, each stream's kind and the Attach (seven frames); the agent's
// acknowledgements of the three opens. yamux writes each frame as it is
// sent, a system call each, and on loopback TCP a write also runs the
// receiver's side of the stack and wakes it. Between Cork and Uncork the
// guard keeps what yamux writes, and Uncork sends it in one write: the
// set-up is then one write each way before the agent's Attached.
//
// A cork holds only frames the peer does not wait on. Whatever could keep
// the peer waiting sends the cork's bytes at once, the frame with them,
// and ends the cork: a window update that is not a stream's open or its
// acknowledgement (credit the peer may be waiting for), a ping or its
// answer, and corkMax bytes. An acknowledgement carries credit too (the
// window beyond a stream's first 256 KiB), which a peer needs once it has
// sent that much: the cork ends when the peer has sent corkMax bytes
// since it began. And it ends corkHold after Cork whatever happens. So a
// cork delays a frame by corkHold at most, and makes neither side wait
// on the other.

const (
	// corkMax is the most a cork holds; a write that would take it past
	// this ends the cork.
	corkMax = 64 << 10
	// corkHold is the longest a cork lasts.
	corkHold = 100 * time.Millisecond
)

// yamux's flags (spec.md): ACK acknowledges a stream's SYN.
const flagACK = 2

// cork is guard's corking state.
type cork struct {
	on    atomic.Bool   // read by Write and Read before the lock is taken
	recv  atomic.Int64  // bytes received since Cork (see Read)
	hold  time.Duration // how long a cork lasts at most: corkHold if 0 (tests set it)
	mu    sync.Mutex
	buf   []byte
	timer *time.Timer
}

// Cork holds the session's writes until Uncork (see above). It does
// nothing if the session is corked already.
func (s *Session) Cork() {
	c, g := &s.g.c, s.g
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.on.Load() {
		return
	}
	c.recv.Store(0)
	c.on.Store(true)
	c.timer = time.AfterFunc(cmp.Or(c.hold, corkHold), func() { g.Uncork() })
}

// received notes n bytes from the peer, and ends the cork once the peer
// has sent corkMax since it began. Called by yamux's receiving goroutine.
func (g *guard) received(n int) {
	if c := &g.c; c.on.Load() && c.recv.Add(int64(n)) > corkMax {
		g.Uncork()
	}
}

// Uncork sends what the cork holds, in one write, and ends it. An error
// is the write's, which has closed the connection: the session ends.
func (s *Session) Uncork() error { return s.g.Uncork() }

func (g *guard) Uncork() error {
	c := &g.c
	c.mu.Lock()
	defer c.mu.Unlock()
	return g.uncorkLocked(nil)
}

// uncorkLocked ends the cork and writes what it holds with b after it;
// c.mu is held.
func (g *guard) uncorkLocked(b []byte) error {
	c := &g.c
	if !c.on.Load() {
		return nil
	}
	// The cork stays on until its bytes are out: the sending goroutine,
	// seeing it, waits for c.mu instead of writing past them.
	defer c.on.Store(false)
	c.timer.Stop()
	c.buf = append(c.buf, b...)
	if len(c.buf) == 0 {
		return nil
	}
	// The sending goroutine's deadline (write.go) is earlier than this
	// one, or unset: it only sets it again sooner than it must.
	g.Conn.SetWriteDeadline(time.Now().Add(g.writeTimeout))
	_, err := g.Conn.Write(c.buf)
	c.buf = nil
	if err != nil {
		g.Conn.Close() // yamux took these frames as sent: the session cannot go on
	}
	return err
}

// corked keeps b if the session is corked, or writes it with what the
// cork holds when b ends the cork; ok is false if the session is not
// corked (any more). Called by yamux's sending goroutine only.
func (g *guard) corked(b []byte) (n int, ok bool, err error) {
	c := &g.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.on.Load() {
		return 0, false, nil
	}
	if w := &g.w; w.held { // a data frame's header, written before the cork
		c.buf = append(c.buf, w.hdr[:]...)
		w.held = false
	}
	if len(c.buf)+len(b) > corkMax || awaited(b) {
		if err := g.uncorkLocked(b); err != nil {
			return 0, true, err
		}
		return len(b), true, nil
	}
	c.buf = append(c.buf, b...)
	return len(b), true, nil
}

// awaited reports whether b is a frame header the peer may be waiting for:
// a ping or its answer, or a window update that is not a stream's open or
// its acknowledgement. A data frame's payload (not a header, or one that
// happens to look like one) is not awaited; at worst a payload taken for
// a header ends the cork early.
func awaited(b []byte) bool {
	if len(b) != headerSize {
		return false
	}
	flags := binary.BigEndian.Uint16(b[2:])
	switch b[1] {
	case typePing, typeGoAway:
		return true
	case typeWindowUpdate:
		return flags&(flagSYN|flagACK) == 0
	}
	return false
}
