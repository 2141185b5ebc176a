package jstrace

import (
	"context"
	"time"
)

// An Event is one firing of a probe (or one event emitted into a
// subscription), lent to the function of an [On] or [SubscribeFunc]
// subscription for the duration of the call: its name, time, context and
// fields. Its fields are encoded only if a
// subscription asks for the record: a consumer that can read the fields as
// the probe passed them ([Event.Args]) saves the encoding, the clock read
// and the decoding.
//
// An Event is passed by value; what it holds and what its methods return
// are valid only until the function returns, and must not be retained:
// they live on the probe's stack. The exceptions are what [Event.Name],
// [Event.Time], [Event.Context] and [Event.RequestID] return, which may be
// kept. To keep the event itself (a recorder, a queue to another
// goroutine), keep its [Event.Clone]. An Event is used by one goroutine; a
// clone, once made, may be read from any.
type Event struct {
	// d is on the probe's stack while the event is lent (see noescape): an
	// Event is 8 bytes, passed to each subscriber function, and on through
	// its own calls, without copying the fields' headers along; nil for
	// the zero Event, whose methods return zero values.
	d *eventData
}

// eventData is an Event's contents.
type eventData struct {
	kind   byte
	prefix []byte // kind and name, encoded (probes have it ready)
	name   string
	ctx    context.Context // of EmitContext, TraceContext and Channels; else nil
	ts     int64           // Unix nanoseconds, once read; 0 before
	head   []any           // fields in front of kv, when emitContext could not join them
	kv     []any
	buf    []byte // frameHdr bytes of room, on the probe's stack
	framed []byte // the length-prefixed record, once encoded; nil if too large
	rec    []byte // the record alone
	done   bool   // encoded
	mixed  bool   // a Clone of fields that were not plain
}

// lend returns an Event for d, which is on the caller's stack, hidden from
// escape analysis (see noescape): d outlives the subscribers' calls.
func lend(d *eventData) Event { return Event{d: launder(d)} }

// maxPlain bounds what Args calls plain: few enough fields, short enough
// strings, that their record is always well under MaxRecordSize.
const (
	maxPlainPairs = 32
	maxPlainLen   = 1 << 10
)

// Args returns the event's fields as the probe was given them, alternating
// keys and values, and whether they are plain: an even number of at most
// 32 values, every key a string of at most 1 KiB, and every value a
// string of at most 1 KiB, a bool, an integer, a float or a
// time.Duration. The record of plain fields holds exactly these keys and
// values, in this order, so a consumer may read them instead of decoding
// [Event.Record]; for other fields it must decode the record, which alone
// says how they are encoded (slog.Attr, Stringers, containers, cut
// strings…).
//
// Events of [Probe.EmitContext], [TraceContext] and [Channel] carry the
// context's fields ("request_id") and the channel's ("duration", "error",
// "handled") in front of the caller's; past 64 values in all, Args returns
// only the caller's, not plain.
//
// The slice and the interface values in it are the probe caller's own,
// on its stack: valid only until the subscriber's function returns. Keep
// none of them, not even one value as an `any`: a value kept that way
// points into a stack that is gone, and corrupts the program's memory.
// Keep copies instead: numbers as their type (n := kv[3].(int)), strings
// cloned (s := strings.Clone(kv[1].(string)): a string's bytes may be on
// that stack too — the trace and span IDs are), or a [Event.Clone] of the
// event, whose Args may be kept.
func (e *Event) Args() (kv []any, plain bool) {
	d := e.d
	if d == nil {
		return nil, true
	}
	if d.head != nil || d.mixed {
		return d.kv, false
	}
	if len(d.kv)%2 != 0 || len(d.kv) > 2*maxPlainPairs {
		return d.kv, false
	}
	for i := 0; i < len(d.kv); i += 2 {
		if k, ok := d.kv[i].(string); !ok || len(k) > maxPlainLen {
			return d.kv, false
		}
		// The commonest types first, as plain comparisons: the switch
		// below searches.
		v := d.kv[i+1]
		if s, ok := v.(string); ok {
			if len(s) > maxPlainLen {
				return d.kv, false
			}
			continue
		}
		if _, ok := v.(int); ok {
			continue
		}
		if _, ok := v.(time.Duration); ok {
			continue
		}
		switch v.(type) {
		case int, int64, int32, int16, int8, uint, uint64, uint32, uint16, uint8, uintptr,
			float64, float32, bool, time.Duration:
		default:
			return d.kv, false
		}
	}
	return d.kv, true
}

// Fields returns the event's fields as the probe was given them,
// alternating keys and values, with ok true when they are all of its
// fields (a context's and a channel's joined in front, as for Args) and
// an even number of at most 64 values. It checks nothing else, in constant
// time, where Args looks at every value: a consumer that reads only some
// fields checks every key and the values it reads, and where one of them
// is not as Args calls plain (a key that is not a string means that keys
// and values are not paired as the record pairs them) decodes the record
// instead.
//
// What Args says of its slice and values holds here too: valid only until
// the subscriber's function returns.
func (e *Event) Fields() (kv []any, ok bool) {
	d := e.d
	if d == nil {
		return nil, true
	}
	if d.head != nil || d.mixed || len(d.kv)%2 != 0 || len(d.kv) > 2*maxPlainPairs {
		return nil, false
	}
	return d.kv, true
}

// Record returns the event's encoded record (see docs/protocol.md; no
// length prefix), encoding it on first use; nil if it would exceed
// MaxRecordSize.
func (e *Event) Record() []byte {
	d := e.d
	if d == nil {
		return nil
	}
	d.encode()
	if d.framed == nil {
		return nil
	}
	return d.rec
}

// encode fills framed and rec, once.
func (d *eventData) encode() {
	if d.done {
		return
	}
	d.done = true
	if d.prefix != nil {
		d.framed, d.rec = encodeEvent(d.buf, d.prefix, d.when(), d.head, d.kv)
		return
	}
	b := appendRecord(d.buf[:frameHdr], d.kind, d.name, d.when(), d.kv)
	d.framed, _ = frame(b)
	d.rec = b[frameHdr:]
}

// encodeEvent encodes a probe's event into buf (whose capacity is the
// stack buffer): prefix is the probe's encoded kind and name. It returns
// the length-prefixed record (nil if too large) and the record alone.
func encodeEvent(buf, prefix []byte, ts int64, head, kv []any) (framed, rec []byte) {
	b := append(buf[:frameHdr], prefix...)
	b = appendFields(appendFields(appendTime(b, ts), head), kv)
	framed, _ = frame(b)
	return framed, b[frameHdr:]
}

// Name returns the name of the event's probe (or of the emitted event).
func (e *Event) Name() string {
	if e.d == nil {
		return ""
	}
	return e.d.name
}

// Time returns when the event happened: the time of its record. The clock
// is read once per event, on first use.
func (e *Event) Time() time.Time {
	if e.d == nil {
		return time.Time{}
	}
	return time.Unix(0, e.d.when())
}

func (d *eventData) when() int64 {
	if d.ts == 0 {
		d.ts = now()
	}
	return d.ts
}

// Context returns the context the event was fired with ([Probe.EmitContext],
// [TraceContext], a [Channel]'s operation), or context.Background() for
// events fired without one ([Probe.Emit], [Trace]).
func (e *Event) Context() context.Context {
	if e.d == nil || e.d.ctx == nil {
		return context.Background()
	}
	return e.d.ctx
}

// RequestID returns the request ID of the event's context (see
// [WithRequestID]), or "" if it has none: events fired by [Probe.Emit]
// and [Trace] have none, whatever their fields say.
func (e *Event) RequestID() string {
	if e.d == nil {
		return ""
	}
	return RequestID(e.d.ctx)
}
