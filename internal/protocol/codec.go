package protocol

import (
	"encoding/binary"
	"fmt"
)

// Encoding helpers shared by messages and records.

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendStrings(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendString(b, s)
	}
	return b
}

// decoder reads fields from a payload, remembering the first error so that
// a message can be decoded field by field and checked once.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: bad %s", ErrMalformed, what)
	}
	d.b = nil
}

func (d *decoder) byte(what string) byte {
	if len(d.b) == 0 {
		d.fail(what)
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint(what string) uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) int64le(what string) int64 {
	if len(d.b) < 8 {
		d.fail(what)
		return 0
	}
	v := int64(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	return v
}

// bytes returns the next length-prefixed byte string, aliasing the payload.
func (d *decoder) bytes(what string) []byte {
	n := d.uvarint(what)
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail(what)
		return nil
	}
	s := d.b[:n:n]
	d.b = d.b[n:]
	return s
}

func (d *decoder) string(what string) string { return string(d.bytes(what)) }

func (d *decoder) strings(what string) []string {
	n := d.uvarint(what)
	if n > uint64(len(d.b)) { // every string takes at least one byte
		d.fail(what)
		return nil
	}
	var ss []string
	for i := uint64(0); i < n && d.err == nil; i++ {
		ss = append(ss, d.string(what))
	}
	return ss
}

// end checks that the whole payload was consumed.
func (d *decoder) end(msg string) error {
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(d.b))
	}
	if d.err != nil {
		return fmt.Errorf("decode %s: %w", msg, d.err)
	}
	return nil
}
