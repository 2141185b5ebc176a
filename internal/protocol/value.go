package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"time"
)

// Kind is the tag byte that starts an encoded value.
type Kind byte

// Value kinds. See docs/protocol.md for their payloads.
const (
	KindNil      Kind = 0x00
	KindFalse    Kind = 0x01
	KindTrue     Kind = 0x02
	KindInt      Kind = 0x03
	KindUint     Kind = 0x04
	KindFloat    Kind = 0x05
	KindString   Kind = 0x06
	KindBytes    Kind = 0x07
	KindTime     Kind = 0x08
	KindDuration Kind = 0x09
	KindError    Kind = 0x0a
	KindList     Kind = 0x0b
	KindMap      Kind = 0x0c
	// KindGroups (0x0d) is in groups.go.
)

// maxDecodeDepth bounds nesting when decoding, whatever the peer sends.
const maxDecodeDepth = 64

// SkipValue returns the length of the encoded value at the start of b,
// checking it is well-formed.
func SkipValue(b []byte) (int, error) {
	return skipValue(b, 0)
}

// quickSize returns the size of the encoded value at the start of v, a
// non-empty slice, if it is a scalar that SkipValue would accept with no
// doubt left: nil, a bool, a float, a varint of at most nine bytes (only
// a tenth can overflow), or a string, bytes or an error of under 128
// bytes (a one-byte length). Else it returns 0, for SkipValue to tell.
func quickSize(v []byte) int {
	switch Kind(v[0]) {
	case KindNil, KindFalse, KindTrue:
		return 1
	case KindInt, KindTime, KindDuration, KindUint:
		for i := 1; i < len(v) && i <= 9; i++ {
			if v[i] < 0x80 {
				return i + 1
			}
		}
	case KindString, KindBytes, KindError:
		if len(v) > 1 && v[1] < 0x80 && int(v[1]) <= len(v)-2 {
			return 2 + int(v[1])
		}
	case KindFloat:
		if len(v) >= 9 {
			return 9
		}
	}
	return 0
}

func skipValue(b []byte, depth int) (int, error) {
	if len(b) == 0 {
		return 0, malformed("missing value")
	}
	if depth > maxDecodeDepth {
		return 0, malformed("value nested too deep")
	}
	switch k := Kind(b[0]); k {
	case KindNil, KindFalse, KindTrue:
		return 1, nil
	case KindInt, KindTime, KindDuration:
		_, n := binary.Varint(b[1:])
		if n <= 0 {
			return 0, malformed("bad varint")
		}
		return 1 + n, nil
	case KindUint:
		_, n := binary.Uvarint(b[1:])
		if n <= 0 {
			return 0, malformed("bad uvarint")
		}
		return 1 + n, nil
	case KindFloat:
		if len(b) < 9 {
			return 0, malformed("short float")
		}
		return 9, nil
	case KindString, KindBytes, KindError:
		l, n := binary.Uvarint(b[1:])
		if n <= 0 || l > uint64(len(b)-1-n) {
			return 0, malformed("bad string length")
		}
		return 1 + n + int(l), nil
	case KindList, KindMap:
		c, n := binary.Uvarint(b[1:])
		if n <= 0 || c > uint64(len(b)) {
			return 0, malformed("bad element count")
		}
		if k == KindMap {
			c *= 2
		}
		off := 1 + n
		for i := uint64(0); i < c; i++ {
			m, err := skipValue(b[off:], depth+1)
			if err != nil {
				return 0, err
			}
			off += m
		}
		return off, nil
	case KindGroups:
		return skipGroups(b)
	default:
		return 0, malformed(fmt.Sprintf("unknown value kind %#x", b[0]))
	}
}

func malformed(what string) error { return fmt.Errorf("%w: %s", ErrMalformed, what) }

// DecodeValue decodes the encoded value at the start of b into a Go value
// (see docs/protocol.md for the types) and returns it with its length. The
// result never aliases b.
func DecodeValue(b []byte) (any, int, error) {
	n, err := SkipValue(b)
	if err != nil {
		return nil, 0, err
	}
	v, _ := decodeValue(b[:n])
	return v, n, nil
}

// decodeValue decodes a value already checked by SkipValue.
func decodeValue(b []byte) (any, int) {
	switch k := Kind(b[0]); k {
	case KindNil:
		return nil, 1
	case KindFalse, KindTrue:
		return k == KindTrue, 1
	case KindInt:
		v, n := binary.Varint(b[1:])
		return int(v), 1 + n
	case KindTime:
		v, n := binary.Varint(b[1:])
		return time.Unix(0, v), 1 + n
	case KindDuration:
		v, n := binary.Varint(b[1:])
		return time.Duration(v), 1 + n
	case KindUint:
		v, n := binary.Uvarint(b[1:])
		return uint(v), 1 + n
	case KindFloat:
		return math.Float64frombits(binary.LittleEndian.Uint64(b[1:9])), 9
	case KindString, KindBytes, KindError:
		l, n := binary.Uvarint(b[1:])
		s := b[1+n : 1+n+int(l)]
		switch k {
		case KindString:
			return string(s), 1 + n + int(l)
		case KindBytes:
			return append([]byte{}, s...), 1 + n + int(l)
		}
		return errors.New(string(s)), 1 + n + int(l)
	case KindList:
		c, n := binary.Uvarint(b[1:])
		off := 1 + n
		list := make([]any, c)
		for i := range list {
			v, m := decodeValue(b[off:])
			list[i] = v
			off += m
		}
		return list, off
	case KindGroups:
		return decodeGroups(b)
	default: // KindMap
		c, n := binary.Uvarint(b[1:])
		off := 1 + n
		keys := make([]any, c)
		vals := make([]any, c)
		strKeys := true
		for i := range keys {
			k, m := decodeValue(b[off:])
			off += m
			v, m := decodeValue(b[off:])
			off += m
			if !isComparable(k) {
				k = fmt.Sprint(k)
			}
			_, isStr := k.(string)
			strKeys = strKeys && isStr
			keys[i], vals[i] = k, v
		}
		if strKeys {
			m := make(map[string]any, c)
			for i, k := range keys {
				m[k.(string)] = vals[i]
			}
			return m, off
		}
		m := make(map[any]any, c)
		for i, k := range keys {
			m[k] = vals[i]
		}
		return m, off
	}
}

func isComparable(v any) bool {
	return v == nil || reflect.TypeOf(v).Comparable()
}
