package jstrace

import (
	"encoding/binary"
	"math"
	"strconv"
	"time"
)

// The text of debug lines (see Debug): an event's fields, read back from
// its record (so that they read as sessions see them, cut and bounded the
// same way), as k=v pairs. Keys, values, names and request IDs come from
// outside the program as often as not: anything but plain printable ASCII
// is quoted and escaped, so that no field can write terminal control
// sequences or forge a line.

// maxTextDepth bounds the nesting the renderer follows; the encoder stops
// at MaxDepth, well below it.
const maxTextDepth = 2 * MaxDepth

// appendFieldsText appends the fields of a record (what follows its time)
// as " k=v" each. The context's fields at its start are left out: the
// first "request_id" if skipID (the line shows it already), and
// "trace_id" and "span_id" if skipSpan (noise on every line of a request).
func appendFieldsText(b, f []byte, skipID, skipSpan bool) []byte {
	for _, c := range [...]struct {
		key  string
		skip bool
	}{{"request_id", skipID}, {"trace_id", skipSpan}, {"span_id", skipSpan}} {
		k, rest, ok := readBytes(f)
		if !ok || string(k) != c.key {
			continue
		}
		if !c.skip {
			break
		}
		if _, rest, ok = appendValueText(nil, rest, 0); ok {
			f = rest
		}
	}
	for len(f) > 0 {
		k, rest, ok := readBytes(f)
		if !ok {
			return append(b, " !BADRECORD"...)
		}
		b = appendText(append(b, ' '), k)
		b = append(b, '=')
		if b, f, ok = appendValueText(b, rest, 0); !ok {
			return append(b, "!BADRECORD"...)
		}
	}
	return b
}

// recordFields returns the fields of a probe's record: after its kind,
// name and time.
func recordFields(rec []byte) ([]byte, bool) {
	if len(rec) < 1 {
		return nil, false
	}
	_, rest, ok := readBytes(rec[1:])
	if !ok || len(rest) < 8 {
		return nil, false
	}
	return rest[8:], true
}

func readBytes(b []byte) (s, rest []byte, ok bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, nil, false
	}
	return b[k : k+int(n)], b[k+int(n):], true
}

// appendValueText appends the text of the encoded value at the start of v.
func appendValueText(b, v []byte, depth int) (out, rest []byte, ok bool) {
	if len(v) == 0 || depth > maxTextDepth {
		return b, nil, false
	}
	tag, v := v[0], v[1:]
	switch tag {
	case tagNil:
		return append(b, "nil"...), v, true
	case tagFalse:
		return append(b, "false"...), v, true
	case tagTrue:
		return append(b, "true"...), v, true
	case tagInt, tagDuration, tagTime:
		x, k := binary.Varint(v)
		if k <= 0 {
			return b, nil, false
		}
		switch tag {
		case tagInt:
			b = strconv.AppendInt(b, x, 10)
		case tagDuration:
			b = append(b, time.Duration(x).String()...)
		default:
			b = time.Unix(0, x).UTC().AppendFormat(b, time.RFC3339Nano)
		}
		return b, v[k:], true
	case tagUint:
		x, k := binary.Uvarint(v)
		if k <= 0 {
			return b, nil, false
		}
		return strconv.AppendUint(b, x, 10), v[k:], true
	case tagFloat:
		if len(v) < 8 {
			return b, nil, false
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(v))
		return strconv.AppendFloat(b, f, 'g', -1, 64), v[8:], true
	case tagString, tagBytes, tagError:
		s, rest, ok := readBytes(v)
		if !ok {
			return b, nil, false
		}
		return appendText(b, s), rest, true
	case tagList, tagMap:
		n, k := binary.Uvarint(v)
		if k <= 0 || n > uint64(len(v)) {
			return b, nil, false
		}
		v = v[k:]
		open, close := byte('['), byte(']')
		if tag == tagMap {
			open, close = '{', '}'
		}
		b = append(b, open)
		for i := uint64(0); i < n; i++ {
			if i > 0 {
				b = append(b, ' ')
			}
			if tag == tagMap {
				if b, v, ok = appendValueText(b, v, depth+1); !ok {
					return b, nil, false
				}
				b = append(b, ':')
			}
			if b, v, ok = appendValueText(b, v, depth+1); !ok {
				return b, nil, false
			}
		}
		return append(b, close), v, true
	}
	return b, nil, false
}

// appendText appends s as is if it is plain printable ASCII without
// quotes, "=" or backslashes, else quoted with Go's escapes: control
// bytes, invalid UTF-8 and non-printing runes (bidirectional overrides
// included) come out as escapes, never raw.
func appendText(b, s []byte) []byte {
	if len(s) == 0 {
		return append(b, `""`...)
	}
	for _, c := range s {
		if c <= ' ' || c >= 0x7f || c == '"' || c == '=' || c == '\\' {
			return strconv.AppendQuote(b, string(s))
		}
	}
	return append(b, s...)
}
