package agent

import (
	"encoding/binary"
	"runtime"
	"time"

	"github.com/jstrace-go/jstrace/internal/engine"
	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/script"
)

// maxBatch is the payload size at which the pump sends an Events frame.
const maxBatch = 256 << 10

// gather is how long at most the pump lets events accumulate before a pass;
// it reads sooner when the session buffer passes a quarter full. Events
// thus reach the handlers within gather of their probe, plus the pass.
const gather = 10 * time.Millisecond

// quiet is how long after the last event to arrive to an empty buffer an
// event is read at once, without gathering: events that come further
// apart than that come one at a time (slower than 50 a second or so), and
// gathering would cost each a wake-up of the service of its own (see
// pump.run).
const quiet = 2 * gather

// The pump moves a session's buffered records: from the session buffer
// (sub: the probe events Local wants, and the events Remote emitted) to
// the CLI, and from the handler queue (queue, see handlers.go) to the
// remote handlers. It is the only reader of both and the only writer of
// the events stream.
type pump struct {
	s      *session
	raw    []byte
	out    []byte
	broken bool      // the events stream failed: discard
	chunks chunks    // of the traces it hands to the handlers
	ships  []byte    // shipped groups taken from the session's queue
	last   time.Time // when a buffer last turned non-empty (Ready)

	flushReq chan chan struct{}
	quit     chan struct{}
	done     chan struct{}
}

func newPump(s *session) *pump {
	return &pump{
		s:        s,
		flushReq: make(chan chan struct{}),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
	}
}

func (p *pump) run() {
	defer close(p.done)
	for {
		select {
		case <-p.s.sub.Ready():
			p.ready()
		case <-p.s.queue.Ready():
			p.ready()
		case <-p.s.ships.ready:
			p.pass()
		case ack := <-p.flushReq:
			p.pass()
			close(ack)
		case <-p.quit:
			p.pass()
			p.s.events.Close()
			// Probes that saw the subscriptions just before they closed
			// may have written since: count them rather than lose them
			// silently.
			p.s.lost.Add(countRecords(p.s.sub.Read(p.raw[:0])))
			p.s.lost.Add(countRecords(p.s.queue.Read(p.raw[:0])))
			return
		}
	}
}

// ready is a pass when a buffer turned non-empty.
func (p *pump) ready() {
	// An event after a quiet spell (none arrived to an empty
	// buffer for quiet) is read at once: the goroutine that
	// fired its probe is running, so the pass costs no thread a
	// wake-up of its own, where waiting for a timer would wake
	// the process again, for a pass that most likely finds that
	// one event.
	// Otherwise events gather for a moment, so that a steady
	// stream costs the service at most a hundred passes a second
	// rather than one per event, unless they come fast enough to
	// fill a quarter of the buffer meanwhile: then it is read as
	// it fills.
	now := time.Now()
	if now.Sub(p.last) < quiet {
		p.gather()
	}
	p.last = now
	p.pass()
}

// countRecords returns how many records b holds.
func countRecords(b []byte) uint64 {
	n := uint64(0)
	for len(b) > 0 {
		_, rest, err := protocol.NextRecord(b)
		if err != nil {
			break
		}
		n++
		b = rest
	}
	return n
}

// gather waits a moment for events to accumulate, until the buffer passes
// a quarter full, or for a flush or stop.
func (p *pump) gather() {
	t := time.NewTimer(gather)
	defer t.Stop()
	select {
	case <-t.C:
	case <-p.s.sub.Filling():
	case <-p.s.queue.Filling():
	case ack := <-p.flushReq:
		p.pass()
		close(ack)
	case <-p.quit:
	}
}

// flush makes the pump move everything buffered so far.
func (p *pump) flush() {
	ack := make(chan struct{})
	select {
	case p.flushReq <- ack:
		<-ack
	case <-p.done:
	}
}

// stop makes the pump move what remains, close the events stream and exit.
func (p *pump) stop() {
	close(p.quit)
	<-p.done
}

// pass moves every buffered record.
func (p *pump) pass() {
	// A pending Filling signal is about what this pass reads: drop it, so
	// that the next gather waits for a buffer to fill again.
	for _, c := range []<-chan struct{}{p.s.sub.Filling(), p.s.queue.Filling()} {
		select {
		case <-c:
		default:
		}
	}
	p.toHandlers()
	p.raw = p.s.sub.Read(p.raw[:0])
	p.sendShips(p.appendRecords(p.out[:0], p.raw))
}

// appendRecords appends the records of b to out, the Events frame being
// filled, each prefixed by its length, sending out whenever it passes
// maxBatch, and returns what is left of it.
func (p *pump) appendRecords(out, b []byte) []byte {
	for i := 0; len(b) > 0; i++ {
		if i%pumpYield == pumpYield-1 {
			runtime.Gosched() // see pumpYield
		}
		rec, rest, err := protocol.NextRecord(b)
		if err != nil {
			break // cannot happen: the buffers hold what probes and Ship wrote
		}
		out = binary.AppendUvarint(out, uint64(len(rec)))
		out = append(out, rec...)
		if len(out) >= maxBatch {
			p.send(out)
			out = out[:0]
		}
		b = rest
	}
	return out
}

// toHandlers hands the handler queue's records to the engine.
func (p *pump) toHandlers() {
	p.raw = p.s.queue.Read(p.raw[:0])
	if len(p.raw) == 0 {
		return
	}
	batch := engine.Batch{Traces: make([]*script.Trace, 0, min(len(p.raw)/32, 4096))}
	n := int64(0)
	for i, b := 0, p.raw; len(b) > 0; i++ {
		if i%pumpYield == pumpYield-1 {
			runtime.Gosched() // see pumpYield
		}
		rec, rest, err := protocol.NextRecord(b)
		if err != nil {
			break // cannot happen: the buffer holds what probes wrote
		}
		n++
		t, own := p.chunks.newTrace(rec)
		if scripthost.LoadTrace(t, own, p.s.a.origin) == nil {
			batch.Traces = append(batch.Traces, t)
			batch.Bytes += len(own)
		}
		b = rest
	}
	if len(batch.Traces) > 0 && p.s.eng.Dispatch(batch) != nil {
		// The script has stopped: probes that saw the subscription just
		// before it closed wrote these since. Counted, not lost silently.
		p.s.lost.Add(uint64(len(batch.Traces)))
	}
	p.s.ahead.Add(-n) // dispatched (or dropped and counted): Pending has them
}

// sendShips sends out, the batch so far, with the shipped groups queued
// (see session.Ship) behind it.
// Each record is at most jstrace.MaxRecordSize: frames stay under
// protocol.MaxFrameSize.
func (p *pump) sendShips(out []byte) {
	p.ships = p.s.ships.take(p.ships[:0])
	out = p.appendRecords(out, p.ships)
	if len(out) > 0 {
		p.send(out)
	}
	p.out = out[:0]
	if cap(p.ships) > maxBatch {
		p.ships = nil // a burst does not pin its memory
	}
}

// pumpYield is how many records the pump reads before it lets the
// service's goroutines run: a full buffer holds tens of thousands, and with
// few Ps (GOMAXPROCS=1) requests would wait for all of them.
const pumpYield = 32

// send writes one Events frame. Writing blocks while the CLI does not read,
// which lets the session buffer fill and probes drop (and count) events.
// Once a write has failed (the CLI is gone, or did not read before the
// deadline of the session's end) the stream is broken: what would have been
// sent is counted as lost.
func (p *pump) send(batch []byte) {
	n := countRecords(batch)
	if !p.broken {
		if err := protocol.WriteFrame(p.s.events, protocol.FrameEvents, batch); err == nil {
			p.s.sent.Add(n)
			return
		}
		p.broken = true
		p.s.events.Close()
	}
	p.s.lost.Add(n)
}
