package protocol

import (
	"encoding/binary"
	"fmt"
)

// RecordKind says where an event record comes from.
type RecordKind byte

// Record kinds.
const (
	RecordEvent RecordKind = 0x01 // fired by a probe
	RecordEmit  RecordKind = 0x02 // emitted by the remote script
)

// A Record is a parsed event record. Name and Fields alias the input.
type Record struct {
	Kind   RecordKind
	Name   []byte
	Time   int64  // Unix nanoseconds
	Fields []byte // (key string, value)*; iterate with NextField
}

// ParseRecord parses an event record and checks that its fields are
// well-formed.
func ParseRecord(rec []byte) (Record, error) {
	d := decoder{b: rec}
	var r Record
	r.Kind = RecordKind(d.byte("record kind"))
	r.Name = d.bytes("record name")
	r.Time = d.int64le("record time")
	if d.err != nil {
		return Record{}, d.err
	}
	if r.Kind != RecordEvent && r.Kind != RecordEmit {
		return Record{}, fmt.Errorf("%w: unknown record kind %#x", ErrMalformed, byte(r.Kind))
	}
	r.Fields = d.b
	for f := r.Fields; len(f) > 0; {
		var err error
		if _, _, f, err = NextField(f); err != nil {
			return Record{}, err
		}
	}
	return r, nil
}

// NextField splits the first field off fields: its key, its encoded value
// (decode it with DecodeValue) and the remaining fields.
func NextField(fields []byte) (key, value, rest []byte, err error) {
	// Most fields are a key of under 128 bytes (its length one byte) and
	// a scalar whose size its first bytes tell (quickSize): read those
	// without the general path's calls. Every getter of a trace walks its
	// fields so, on every event.
	if len(fields) > 1 && fields[0] < 0x80 && int(fields[0]) < len(fields)-1 {
		v := fields[1+fields[0]:]
		if m := quickSize(v); m > 0 {
			return fields[1 : 1+fields[0]], v[:m], v[m:], nil
		}
	}
	return nextField(fields)
}

// nextField is NextField for any field.
func nextField(fields []byte) (key, value, rest []byte, err error) {
	l, n := binary.Uvarint(fields)
	if n <= 0 || l > uint64(len(fields)-n) {
		return nil, nil, nil, malformed("bad field key")
	}
	key = fields[n : n+int(l)]
	fields = fields[n+int(l):]
	m, err := SkipValue(fields)
	if err != nil {
		return nil, nil, nil, err
	}
	return key, fields[:m], fields[m:], nil
}

// NextRecord splits the first length-prefixed record off a batch (the
// payload of an Events frame). Call it while the batch is not empty; an
// error wrapping ErrMalformed means the batch is cut or corrupt.
func NextRecord(batch []byte) (rec, rest []byte, err error) {
	l, n := binary.Uvarint(batch)
	if n <= 0 || l > uint64(len(batch)-n) {
		return nil, nil, malformed("bad record length")
	}
	end := n + int(l)
	return batch[n:end:end], batch[end:], nil
}

// PeekRecord returns a record's kind and name without checking its fields.
func PeekRecord(rec []byte) (RecordKind, []byte, error) {
	d := decoder{b: rec}
	kind := RecordKind(d.byte("record kind"))
	name := d.bytes("record name")
	return kind, name, d.err
}
