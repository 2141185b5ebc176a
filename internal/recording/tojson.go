package recording

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

// timeLayout is the layout of times in a recording: RFC 3339, UTC, always
// nine digits of nanoseconds (jstrace watch --json's), exact to the
// nanosecond and sortable as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// kindNames are the names of the value kinds in a recording.
var kindNames = map[protocol.Kind]string{
	protocol.KindNil: "nil", protocol.KindFalse: "bool", protocol.KindTrue: "bool",
	protocol.KindInt: "int", protocol.KindUint: "uint", protocol.KindFloat: "float",
	protocol.KindString: "string", protocol.KindBytes: "bytes", protocol.KindTime: "time",
	protocol.KindDuration: "duration", protocol.KindError: "error",
	protocol.KindList: "list", protocol.KindMap: "map",
}

// appendRecordJSON appends r as a recording's line, without its newline.
// The event record is checked first: a malformed one is an error and
// nothing is appended.
func appendRecordJSON(dst []byte, r Record) ([]byte, error) {
	ev, err := protocol.ParseRecord(r.Event)
	if err != nil {
		return dst, err
	}
	for f := ev.Fields; len(f) > 0; {
		_, val, rest, _ := protocol.NextField(f) // checked by ParseRecord
		if groupsIn(val) {
			return dst, fmt.Errorf("%w: a value of shipped groups (traces.Ship), which a recording has no form for", protocol.ErrMalformed)
		}
		f = rest
	}
	dst = append(dst, `{"time":"`...)
	dst = time.Unix(0, ev.Time).UTC().AppendFormat(dst, timeLayout)
	dst = append(dst, `","host":`...)
	dst = appendQuoted(dst, r.Hostname)
	dst = append(dst, `,"title":`...)
	dst = appendQuoted(dst, r.Title)
	dst = append(dst, `,"pid":`...)
	dst = strconv.AppendInt(dst, int64(r.PID), 10)
	dst = append(dst, `,"probe":`...)
	dst = appendQuoted(dst, string(ev.Name))
	if ev.Kind == protocol.RecordEmit {
		dst = append(dst, `,"emit":true`...)
	}
	dst = append(dst, `,"fields":{`...)
	for f, i := ev.Fields, 0; len(f) > 0; i++ {
		key, val, rest, _ := protocol.NextField(f) // checked by ParseRecord
		f = rest
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendQuoted(dst, string(key))
		dst = append(dst, ':')
		dst, _ = appendValueJSON(dst, val)
	}
	return append(dst, "}}"...), nil
}

// groupsIn reports whether the wire value at the start of b, already
// checked by protocol.SkipValue, is or holds a value of KindGroups: the
// one kind the wire has and a recording does not.
func groupsIn(b []byte) bool {
	switch k := protocol.Kind(b[0]); k {
	case protocol.KindGroups:
		return true
	case protocol.KindList, protocol.KindMap:
		c, m := binary.Uvarint(b[1:])
		if k == protocol.KindMap {
			c *= 2
		}
		for i, off := uint64(0), 1+m; i < c; i++ {
			if groupsIn(b[off:]) {
				return true
			}
			n, _ := protocol.SkipValue(b[off:])
			off += n
		}
	}
	return false
}

// appendValueJSON appends the wire value at the start of b, already
// checked by protocol.SkipValue, as a typed JSON value: {"kind":payload}.
// It returns the value's length in b.
func appendValueJSON(dst, b []byte) ([]byte, int) {
	k := protocol.Kind(b[0])
	dst = append(dst, `{"`...)
	dst = append(dst, kindNames[k]...)
	dst = append(dst, `":`...)
	n := 1
	switch k {
	case protocol.KindNil:
		dst = append(dst, "null"...)
	case protocol.KindFalse:
		dst = append(dst, "false"...)
	case protocol.KindTrue:
		dst = append(dst, "true"...)
	case protocol.KindInt, protocol.KindDuration:
		v, m := binary.Varint(b[1:])
		dst, n = strconv.AppendInt(dst, v, 10), 1+m
	case protocol.KindTime:
		v, m := binary.Varint(b[1:])
		dst, n = append(dst, '"'), 1+m
		dst = append(time.Unix(0, v).UTC().AppendFormat(dst, timeLayout), '"')
	case protocol.KindUint:
		v, m := binary.Uvarint(b[1:])
		dst, n = strconv.AppendUint(dst, v, 10), 1+m
	case protocol.KindFloat:
		f := math.Float64frombits(binary.LittleEndian.Uint64(b[1:9]))
		n = 9
		if math.IsNaN(f) || math.IsInf(f, 0) {
			dst = append(strconv.AppendFloat(append(dst, '"'), f, 'g', -1, 64), '"')
		} else {
			dst = strconv.AppendFloat(dst, f, 'g', -1, 64)
		}
	case protocol.KindString, protocol.KindBytes, protocol.KindError:
		l, m := binary.Uvarint(b[1:])
		s := b[1+m : 1+m+int(l)]
		n = 1 + m + int(l)
		if k == protocol.KindBytes {
			dst = append(dst, '"')
			dst = base64.StdEncoding.AppendEncode(dst, s)
			dst = append(dst, '"')
		} else {
			dst = appendQuoted(dst, string(s))
		}
	case protocol.KindList, protocol.KindMap:
		c, m := binary.Uvarint(b[1:])
		n = 1 + m
		dst = append(dst, '[')
		for i := uint64(0); i < c; i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			if k == protocol.KindMap {
				dst = append(dst, '[')
				var kn int
				dst, kn = appendValueJSON(dst, b[n:])
				n += kn
				dst = append(dst, ',')
			}
			var vn int
			dst, vn = appendValueJSON(dst, b[n:])
			n += vn
			if k == protocol.KindMap {
				dst = append(dst, ']')
			}
		}
		dst = append(dst, ']')
	default:
		panic(fmt.Sprintf("recording: unchecked value kind %#x", byte(k)))
	}
	return append(dst, '}'), n
}

// appendQuoted appends s as a JSON string. Invalid UTF-8 becomes U+FFFD,
// as with encoding/json; control characters are escaped, nothing else.
func appendQuoted(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, `\n`...)
			case c == '\t':
				dst = append(dst, `\t`...)
			case c == '\r':
				dst = append(dst, `\r`...)
			case c < 0x20 || c == 0x7f:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, "\uFFFD"...)
		case r >= 0x80 && r <= 0x9f: // C1 controls: keep the file safe to cat
			dst = append(dst, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}
