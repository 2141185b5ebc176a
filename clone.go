package jstrace

import (
	"bytes"
	"strings"
	"time"
)

// Clone returns a copy of the event that may be kept after the
// subscriber's function returns and read from any goroutine, as
// [log/slog.Record.Clone] is for a Record: an Event lent to a subscriber
// points into the probe caller's stack, a clone points only to memory of
// its own.
//
// The clone has the same name, time, context and record ([Event.Record],
// copied). Its [Event.Args] are the original's, each value copied:
// strings, numbers, bools, durations and times as themselves; any other
// value (errors, Stringers, slog values, pointers, containers…) as the
// text its record holds, since what a pointer points to may itself be on
// the caller's stack. Args reports the clone's fields plain exactly when
// it reports the original's.
//
// Clone costs allocations (the fields, the record, one string per text
// value); subscribers that read fields and keep only what they derive
// need not call it.
func (e *Event) Clone() Event {
	d := e.d
	if d == nil {
		return Event{}
	}
	kv, plain := e.Args()
	d.encode()
	c := &eventData{
		kind:  d.kind,
		name:  d.name,
		ctx:   d.ctx,
		ts:    d.when(),
		kv:    make([]any, len(kv)),
		done:  true,
		mixed: !plain,
	}
	for i, v := range kv {
		c.kv[i] = keepable(v)
	}
	if d.framed != nil {
		c.framed = bytes.Clone(d.framed)
		c.rec = c.framed[len(d.framed)-len(d.rec):]
	}
	return Event{d: c}
}

// keepable returns v, or a value standing for it, that points to no
// memory of the probe caller's.
func keepable(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return strings.Clone(x)
	case bool:
		return x
	case int:
		return x
	case int64:
		return x
	case int32:
		return x
	case int16:
		return x
	case int8:
		return x
	case uint:
		return x
	case uint64:
		return x
	case uint32:
		return x
	case uint16:
		return x
	case uint8:
		return x
	case uintptr:
		return x
	case float64:
		return x
	case float32:
		return x
	case time.Duration:
		return x
	case time.Time:
		return x
	}
	var scratch [256]byte
	enc := appendValue(scratch[:0], v, 0)
	text, _, _ := appendValueText(nil, enc, 0)
	return string(text)
}
