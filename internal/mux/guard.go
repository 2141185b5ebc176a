package mux

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// The yamux frame header (github.com/hashicorp/yamux spec.md): version u8,
// type u8, flags u16, stream id u32, length u32, big-endian. Only data
// frames carry a payload (length bytes); for the others the length field
// is a window increment, a ping id or a go-away code.
const (
	headerSize = 12

	typeData         = 0
	typeWindowUpdate = 1
	typePing         = 2
	typeGoAway       = 3

	flagSYN = 1
)

// Budgets of what a peer may send below the multiplexer. yamux answers
// every ping from a goroutine of its own, which blocks while the peer does
// not read, and registers a stream per SYN: left alone, a peer that floods
// them takes the process's memory. A legitimate peer sends one keepalive
// ping every KeepAliveInterval (5s), opens the protocol's three streams
// (the CLI) or none (the agent), and a frame per write or window update.
//
// The frame budget is set from what a frame costs the receiver
// (BenchmarkReceive, yamux's receiving goroutine and the stream's reader,
// on a 2-core Xeon): about 0.3µs per frame whatever it carries, plus
// 0.33ns per byte of data (1 byte: 0.29µs, 100 bytes: 0.25µs, 1 KiB:
// 0.6µs, 16 KiB: 5.6µs). Bytes of data are bounded by yamux's flow
// control, which lets no more arrive than the receiver reads, and cost the
// receiver nothing it did not ask for; what a peer can abuse is the fixed
// cost, with frames that carry little or nothing: window updates,
// go-aways, empty or tiny data frames, frames on streams that do not
// exist. So every frame takes a token, and a data frame earns back one per
// bytesPerFrame bytes it carries, where its own data costs the receiver
// about five times its header: at most frameRate frames a second, 1% of a
// core, are frames that carry less. An honest agent sends far fewer: its
// console coalesces prints (a frame per 5ms at most, or per 64 KiB), its
// pump a frame per batch (at most a hundred a second unless the batches
// are large), and even an agent that wrote each 100-byte print as a frame
// at its 1 MiB/s console limit would send 10,500 frames a second, a third
// of the budget.
const (
	// pingBurst and pingRate bound pings (queries and answers together):
	// 16 at once, then one a second.
	pingBurst = 16
	pingRate  = 1
	// frameBurst and frameRate bound frames of every type: 65536 at once,
	// then 32768 a second, plus one per bytesPerFrame (4 KiB) of data
	// they carry.
	frameBurst    = 65536
	frameRate     = 32768
	bytesPerFrame = 4096
	// writeTimeout bounds one write to the connection: a peer that has
	// not read for that long is gone or hostile, and the connection is
	// closed instead of holding the multiplexer's writers.
	writeTimeout = 10 * time.Second
)

// Errors of a peer that exceeds a budget; the connection is closed.
var (
	ErrPingFlood    = errors.New("peer sent pings faster than one a second")
	ErrFrameFlood   = errors.New("peer sent multiplexer frames faster than allowed")
	ErrStreamFlood  = errors.New("peer opened more streams than the protocol has")
	ErrBadMuxHeader = errors.New("malformed multiplexer frame header")
)

// bucket is a token bucket. It is owned by one goroutine.
type bucket struct {
	tokens, burst, rate float64
	last                time.Time
}

func newBucket(burst, rate float64) bucket { return bucket{tokens: burst, burst: burst, rate: rate} }

// take refills the bucket for the time since the last call, adds credit,
// and takes one token if there is one.
func (b *bucket) take(now time.Time, credit float64) bool {
	if !b.last.IsZero() {
		b.tokens += now.Sub(b.last).Seconds() * b.rate
	}
	b.last = now
	b.tokens = min(b.burst, b.tokens+credit)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// parser follows the yamux frames in the bytes a peer sends and checks
// each header against the budgets. It is owned by one goroutine.
type parser struct {
	hdr        [headerSize]byte
	n          int    // bytes of hdr filled
	skip       uint32 // payload bytes of the current data frame still to come
	streams    int    // SYNs seen
	maxStreams int
	pings      bucket
	frames     bucket
	err        error // the first budget exceeded
}

func newParser(maxStreams int) *parser {
	return &parser{maxStreams: maxStreams, pings: newBucket(pingBurst, pingRate), frames: newBucket(frameBurst, frameRate)}
}

// feed consumes the next bytes of the peer's stream; it returns the first
// budget the peer exceeded, and from then on the same error.
func (p *parser) feed(b []byte, now time.Time) error {
	for p.err == nil && len(b) > 0 {
		if p.skip > 0 {
			k := min(uint32(len(b)), p.skip)
			p.skip -= k
			b = b[k:]
			continue
		}
		k := copy(p.hdr[p.n:], b)
		p.n += k
		b = b[k:]
		if p.n < headerSize {
			return nil
		}
		p.n = 0
		p.err = p.check(now)
	}
	return p.err
}

// check applies the budgets to a complete header.
func (p *parser) check(now time.Time) error {
	h := p.hdr[:]
	version, typ := h[0], h[1]
	flags := uint16(h[2])<<8 | uint16(h[3])
	length := uint32(h[8])<<24 | uint32(h[9])<<16 | uint32(h[10])<<8 | uint32(h[11])
	if version != 0 || typ > typeGoAway {
		return fmt.Errorf("%w: version %d, type %d", ErrBadMuxHeader, version, typ)
	}
	credit := 0.0
	if typ == typeData {
		p.skip = length
		credit = float64(length) / bytesPerFrame
	}
	if !p.frames.take(now, credit) {
		return ErrFrameFlood
	}
	switch typ {
	case typePing:
		if !p.pings.take(now, 0) {
			return ErrPingFlood
		}
	case typeData, typeWindowUpdate:
		if flags&flagSYN != 0 {
			if p.streams++; p.streams > p.maxStreams {
				return fmt.Errorf("%w (%d)", ErrStreamFlood, p.maxStreams)
			}
		}
	}
	return nil
}

// guard is the connection under a yamux session: it checks what the peer
// sends against the budgets and closes the connection when one is
// exceeded, and bounds each write (write.go). Read is called by yamux's
// receiving goroutine only, Write by its sending goroutine only; Err may
// be called from any goroutine.
type guard struct {
	net.Conn
	p            *parser
	writeTimeout time.Duration
	w            writer       // Write's state
	c            cork         // see cork.go
	heard        atomic.Int64 // when bytes last arrived, in nanoseconds since monoBase (see Watchdog)

	mu    sync.Mutex
	abuse error
}

func newGuard(c net.Conn, maxStreams int) *guard {
	g := &guard{Conn: c, p: newParser(maxStreams), writeTimeout: writeTimeout}
	g.heard.Store(int64(time.Since(monoBase)))
	return g
}

// monoBase is what heard counts from: the monotonic clock, so that a step
// of the wall clock neither closes every watched session nor none.
var monoBase = time.Now()

// lastHeard returns when bytes last arrived from the peer (or when the
// guard was made), on the monotonic clock.
func (g *guard) lastHeard() time.Time { return monoBase.Add(time.Duration(g.heard.Load())) }

func (g *guard) Read(b []byte) (int, error) {
	if g.p.err != nil {
		return 0, g.p.err
	}
	n, err := g.Conn.Read(b)
	if n > 0 {
		now := time.Now()
		g.heard.Store(int64(now.Sub(monoBase)))
		if perr := g.p.feed(b[:n], now); perr != nil {
			g.mu.Lock()
			g.abuse = perr
			g.mu.Unlock()
			g.Conn.Close()
			return 0, perr
		}
		g.received(n)
	}
	return n, err
}

// Err returns the budget the peer exceeded, or nil.
func (g *guard) Err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.abuse
}
