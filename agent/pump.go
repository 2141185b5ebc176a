package agent

import (
	"encoding/binary"

	"github.com/jstrace-go/jstrace/protocol"
	"github.com/jstrace-go/jstrace/script"
)

// maxBatch is the payload size at which the pump sends an Events frame.
const maxBatch = 256 << 10

// route says where the events of a probe go.
type route uint8

const (
	routeCLI    route = 1 << iota // raw, to Local
	routeScript                   // to the remote handlers
)

// The pump moves a session's buffered records: probe events to the CLI
// and/or the remote handlers, emitted events to the CLI. It is the only
// reader of the subscription and the only writer of the events stream.
type pump struct {
	s       *session
	raw     []byte
	out     []byte
	routes  map[string]route // probe name → route, for routes version
	version uint64
	broken  bool // the events stream failed: discard

	flushReq chan chan struct{}
	quit     chan struct{}
	done     chan struct{}
}

func newPump(s *session) *pump {
	return &pump{
		s:        s,
		routes:   map[string]route{},
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
			p.pass()
		case ack := <-p.flushReq:
			p.pass()
			close(ack)
		case <-p.quit:
			p.pass()
			p.s.events.Close()
			return
		}
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
	p.raw = p.s.sub.Read(p.raw[:0])
	if len(p.raw) == 0 {
		return
	}
	if v := p.s.version.Load(); v != p.version {
		clear(p.routes)
		p.version = v
	}
	var (
		batch []*script.Trace
		keep  []byte // copies of the records handed to handlers
		out   = p.out[:0]
	)
	for b := p.raw; len(b) > 0; {
		rec, rest, err := protocol.NextRecord(b)
		if err != nil {
			break // cannot happen: the buffer holds what probes wrote
		}
		kind, name, err := protocol.PeekRecord(rec)
		if err != nil {
			b = rest
			continue
		}
		r := routeCLI // emitted events always go to the CLI
		if kind == protocol.RecordEvent {
			r = p.route(name)
		}
		if r&routeCLI != 0 {
			out = binary.AppendUvarint(out, uint64(len(rec)))
			out = append(out, rec...)
			if len(out) >= maxBatch {
				p.send(out)
				out = out[:0]
			}
		}
		if r&routeScript != 0 {
			if keep == nil {
				keep = make([]byte, 0, len(b)) // never regrown: traces alias it
			}
			k := len(keep)
			keep = append(keep, rec...)
			if t, err := script.ParseTrace(keep[k:len(keep):len(keep)], p.s.a.origin); err == nil {
				batch = append(batch, t)
			}
		}
		b = rest
	}
	if len(out) > 0 {
		p.send(out)
	}
	p.out = out[:0]
	if len(batch) > 0 {
		p.s.eng.Dispatch(batch)
	}
}

func (p *pump) route(name []byte) route {
	if r, ok := p.routes[string(name)]; ok {
		return r
	}
	n := string(name)
	var r route
	if p.s.local.Match(n) {
		r |= routeCLI
	}
	if p.s.remote.Load().Match(n) {
		r |= routeScript
	}
	p.routes[n] = r
	return r
}

// send writes one Events frame. Writing blocks while the CLI does not read,
// which lets the session buffer fill and probes drop (and count) events.
func (p *pump) send(batch []byte) {
	if p.broken {
		return
	}
	if err := protocol.WriteFrame(p.s.events, protocol.FrameEvents, batch); err != nil {
		p.broken = true
		return
	}
	n := uint64(0)
	for b := batch; len(b) > 0; {
		_, rest, err := protocol.NextRecord(b)
		if err != nil {
			break
		}
		n++
		b = rest
	}
	p.s.sent.Add(n)
}
