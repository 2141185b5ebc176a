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
// the one in time order; another CLI meanwhile is told the agent is busy.
func (a *Agent) dump(fw *protocol.FrameWriter, fr *protocol.FrameReader, ctl *yamux.Stream, payload []byte) error {
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
	release, ok := take(a.dumps)
	if !ok {
		refuse(fw, fr, ctl, &protocol.Error{Code: protocol.CodeBusy, Message: "another dump is under way"})
		return nil
	}
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

// take takes a one-place slot if it is free, and returns the function
// that gives it back: once, however often it is called (an early release
// and a deferred one).
func take(slot chan struct{}) (release func(), ok bool) {
	select {
	case slot <- struct{}{}:
	default:
		return nil, false
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
