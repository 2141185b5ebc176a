package agent

import (
	"fmt"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/script"
)

// The events of the probes the script's Remote handlers want reach them
// one of two ways. A subscription function (handlers) sees each as its
// probe fires. If every handler of that probe ends by construction (see
// engine.Engine.Inline) and the script is idle with nothing queued, the
// handlers run there and then, on the goroutine that fired the probe: an
// event that comes alone costs the service no hand-off to another
// goroutine, and so no wake-up of an idle thread. Otherwise the event goes
// into the session's handler queue (queue, a buffer of its own), which
// the pump reads and hands to the engine goroutine in batches, as every
// event went before. ahead counts the events between the two: in queue,
// or read from it and not yet dispatched; none runs inline while there are
// any, so each goroutine's events reach the handlers in the order it fired
// them.

// handlerEvent is the handlers subscription's function.
func (s *session) handlerEvent(e jstrace.Event) {
	if s.eng.Inline(e.Name(), &s.ahead, func(loan scripthost.Loan) *script.Trace { return s.inlineTrace(e, loan) }) {
		return
	}
	s.ahead.Add(1)
	if !s.queue.Forward(e) {
		s.ahead.Add(-1) // dropped, and counted
	}
}

// inlineTrace returns the trace of e for handlers that run inline, or nil
// if its record does not load; for handlers that keep nothing of it, as
// loan says (see engine.Engine.Inline), one that is reused, holding only
// the fields they read if they say which. It is called with the engine's
// lock held, which guards chunks.
func (s *session) inlineTrace(e jstrace.Event, loan scripthost.Loan) *script.Trace {
	if loan.Borrows && loan.Keys != nil {
		if fields, ok := s.chunks.lendFields(&e, loan.Keys); ok {
			scripthost.LoadFieldsTrace(&s.chunks.lent, e.Name(), e.Time(), fields, s.a.origin)
			return &s.chunks.lent
		}
	}
	borrowed := loan.Borrows
	rec := e.Record()
	if rec == nil {
		s.queue.Forward(e) // too large: dropped and counted there
		return nil
	}
	var t *script.Trace
	var own []byte
	if borrowed {
		t, own = s.chunks.lend(rec)
	} else {
		t, own = s.chunks.newTrace(rec)
	}
	if scripthost.LoadNamedTrace(t, own, e.Name(), s.a.origin) != nil {
		return nil
	}
	return t
}

// Traces handed to the handlers, and copies of their records, are carved
// out of chunks: two allocations per chunk instead of two per event. A
// trace a script keeps pins its chunk of chunkTraces traces and the records
// those hold: records over chunkRecord bytes get allocations of their own,
// so that is at most chunkTraces × chunkRecord bytes plus one chunkBytes
// chunk, some 320 KiB, never the session's buffer.
const (
	chunkTraces = 256
	chunkBytes  = 64 << 10
	chunkRecord = 1 << 10
)

// chunks hands out traces and record copies; one goroutine at a time.
type chunks struct {
	traces []script.Trace // the current chunk of traces
	bytes  []byte         // the current chunk of record copies
	// lent is the trace lend hands out again and again, and lentRec the
	// copy of its record: the record must be on the heap, not on the
	// probe's stack (which moves when it grows, and a trace on the heap
	// would point into the old one), but need not be new.
	lent    script.Trace
	lentRec []byte
}

// lend returns a trace to fill and a copy of rec, both reused by the next
// call: for handlers that keep nothing of their trace, an event costs no
// allocation and touches memory that the last one warmed.
func (c *chunks) lend(rec []byte) (*script.Trace, []byte) {
	if len(rec) > chunkRecord {
		return &c.lent, append([]byte(nil), rec...) // not kept past this call
	}
	c.lentRec = append(c.lentRec[:0], rec...)
	return &c.lent, c.lentRec
}

// lendFields encodes into lentRec the fields keys of e, each as the last
// of its key, as e's record would hold them, without encoding the rest of
// e: for handlers that read those alone (see link.Loan). ok is false if
// it cannot be sure to:
//
//   - a key that is not a string, or is long: then keys and values may
//     not pair in the record as they do in e's arguments;
//   - a value read that is not plain: only the probe's encoder knows how
//     it encodes that;
//   - a value of a kind whose encoding has no small bound (a slice, a
//     map, a struct): the whole record might exceed MaxRecordSize, and an
//     event that the whole-record path drops (and counts) must not reach
//     the handlers this way instead. The others (at most 32 pairs, keys
//     of at most 1 KiB, strings, errors and Stringers cut at 16 KiB)
//     keep a record under 600 KiB;
//   - a long name, which a record cuts.
func (c *chunks) lendFields(e *jstrace.Event, keys []string) (fields []byte, ok bool) {
	kv, ok := e.Fields()
	if !ok || len(e.Name()) > protocol.MaxPlainLen {
		return nil, false
	}
	for i := 0; i < len(kv); i += 2 {
		if k, isStr := kv[i].(string); !isStr || len(k) > protocol.MaxPlainLen || !boundedValue(kv[i+1]) {
			return nil, false
		}
	}
	b := c.lentRec[:0]
	for _, key := range keys {
		for i := len(kv) - 2; i >= 0; i -= 2 {
			if k, _ := kv[i].(string); k == key {
				if b, ok = protocol.AppendPlainField(b, key, kv[i+1]); !ok {
					return nil, false
				}
				break
			}
		}
	}
	if cap(b) <= chunkRecord {
		c.lentRec = b // kept for the next event; a larger one is not
	}
	return b, true
}

// boundedValue reports whether v's encoding is at most ~16 KiB: a plain
// value, a string, a byte slice, an error or a Stringer (their text cut
// at jstrace.MaxValueLen), a time, or nil.
func boundedValue(v any) bool {
	switch v.(type) {
	case string, int, time.Duration, int64, uint64, bool, float64, nil,
		int32, int16, int8, uint, uint32, uint16, uint8, uintptr, float32,
		time.Time, []byte, error, fmt.Stringer:
		return true
	}
	return false
}

// newTrace returns a Trace to fill and a copy of rec of its own.
func (c *chunks) newTrace(rec []byte) (*script.Trace, []byte) {
	if len(rec) > chunkRecord {
		return new(script.Trace), append([]byte(nil), rec...)
	}
	if len(c.traces) == cap(c.traces) {
		c.traces = make([]script.Trace, 0, chunkTraces)
	}
	c.traces = c.traces[:len(c.traces)+1]
	if cap(c.bytes)-len(c.bytes) < len(rec) {
		c.bytes = make([]byte, 0, max(chunkBytes, len(rec)))
	}
	start := len(c.bytes)
	c.bytes = append(c.bytes, rec...)
	return &c.traces[len(c.traces)-1], c.bytes[start:len(c.bytes):len(c.bytes)]
}
