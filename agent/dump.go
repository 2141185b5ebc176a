package agent

import (
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/jstrace-go/jstrace/internal/match"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// dumpTimeout bounds the writing of a dump: a CLI that stops reading
// does not hold the snapshot's memory for long.
const dumpTimeout = time.Minute

// dumpFrame is the most record bytes sent in one Events frame of a dump (a
// single larger record, at most MaxRecordSize, goes alone).
const dumpFrame = 1 << 20

// dump answers a Dump on the control stream: Flight, then the recorder's
// records (those of the probes the Dump names) in Events frames. One dump
// runs at a time, so that the agent holds at most one snapshot besides the
// recorder: while it is taken, two copies of it (the shards' bytes and
// those bytes in time order) and an index of 32 bytes per record, then
// the one in time order; another CLI meanwhile waits for the slot up to
// slotWait, then is told the agent is busy. handshake gives back the
// connection's handshake slot; it is called once the dump holds its own.
func (a *Agent) dump(fw *protocol.FrameWriter, fr *protocol.FrameReader, ctl *yamux.Stream, payload []byte, handshake func()) error {
	ctl.SetReadDeadline(time.Time{})
	var req protocol.Dump
	if err := req.Decode(payload); err != nil {
		refuse(fw, fr, ctl, &protocol.Error{Code: protocol.CodeProtocol, Message: err.Error()})
		return err
	}
	if a.flight == nil {
		refuse(fw, fr, ctl, &protocol.Error{Code: protocol.CodeNoFlight, Message: fmt.Sprintf("%s has no flight recorder: start it with %s or agent.Options.Flight", a.opts.Title, EnvFlight)})
		return nil
	}
	var want *match.Set
	if len(req.Patterns) > 0 {
		set, err := match.Compile(req.Patterns...)
		if err != nil {
			refuse(fw, fr, ctl, &protocol.Error{Code: protocol.CodeProtocol, Message: err.Error()})
			return nil
		}
		want = set
	}
	// The slot is given back once the dump is written, not when the CLI
	// closes the stream: a second dump right after the first is not told
	// the agent is busy with one already read.
	release, ok := take(a.dumps, slotWait, a.ending)
	if !ok {
		refuse(fw, fr, ctl, &protocol.Error{Code: protocol.CodeBusy, Message: "another dump is under way"})
		return nil
	}
	handshake()
	defer release()
	recs, st := a.flight.Snapshot(nil)
	recs, n := keepRecords(recs, want)
	head := protocol.Flight{
		Size: uint64(st.Size), Probes: a.opts.Flight.Probes, Started: a.flightStart,
		Written: st.Records, Overwritten: st.Overwritten, Dropped: st.Dropped,
		Records: uint64(n), Bytes: uint64(len(recs)),
	}
	ctl.SetWriteDeadline(time.Now().Add(dumpTimeout))
	if err := fw.Send(protocol.FrameFlight, &head); err != nil {
		return err
	}
	for len(recs) > 0 {
		cut := 0
		for cut < len(recs) {
			v, w := binary.Uvarint(recs[cut:])
			if cut > 0 && cut+w+int(v) > dumpFrame {
				break
			}
			cut += w + int(v)
		}
		if err := protocol.WriteFrame(ctl, protocol.FrameEvents, recs[:cut]); err != nil {
			return err
		}
		recs = recs[cut:]
	}
	release()
	awaitClose(fr, ctl)
	return nil
}

// slotWait is how long a dump or a probe listing waits for its slot
// before the CLI is told the agent is busy. A CLI that has read the last
// frame of one dump may ask for the next before the agent has given the
// slot back; it waits for that, not for a dump held by a slow reader.
const slotWait = 2 * time.Second

// take takes a one-place slot, waiting up to wait for it to be free (not
// past ending), and returns the function that gives it back: once, however
// often it is called (an early release and a deferred one).
func take(slot chan struct{}, wait time.Duration, ending <-chan struct{}) (release func(), ok bool) {
	select {
	case slot <- struct{}{}:
	default:
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case slot <- struct{}{}:
		case <-t.C:
			return nil, false
		case <-ending:
			return nil, false
		}
	}
	var once sync.Once
	return func() { once.Do(func() { <-slot }) }, true
}

// keepRecords compacts recs (length-prefixed records) in place to those of
// the probes want matches (all if nil), and counts them.
func keepRecords(recs []byte, want *match.Set) ([]byte, int) {
	out, n := recs[:0], 0
	for off := 0; off < len(recs); {
		v, w := binary.Uvarint(recs[off:])
		r := recs[off : off+w+int(v)]
		off += len(r)
		if want != nil {
			p, err := protocol.ParseRecord(r[w:])
			if err != nil || !want.Match(string(p.Name)) {
				continue
			}
		}
		out = append(out, r...)
		n++
	}
	return out, n
}
