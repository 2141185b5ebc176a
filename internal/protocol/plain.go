package protocol

import (
	"encoding/binary"
	"math"
	"time"
)

// MaxPlainLen is the longest key, and string value, of a plain field (see
// AppendPlainField): jstrace.Event.Args's bound.
const MaxPlainLen = 1 << 10

// AppendPlainField appends the field key = v to b as a record's fields
// hold it (see NextField), for v of the types jstrace.Event.Args calls
// plain: a bool, an integer, a float, a time.Duration or a string of at
// most 1 KiB, under a key of at most 1 KiB, whose encoding has no cut and
// no choice. For anything else it returns b unchanged and false: only the
// probe's encoder knows how it encodes those. What it appends is byte for
// byte what the probe's encoder appends for the same key and value
// (TestPlainFieldsAsProbesEncode).
func AppendPlainField(b []byte, key string, v any) ([]byte, bool) {
	if len(key) > MaxPlainLen {
		return b, false
	}
	n := len(b)
	b = appendString(b, key)
	switch x := v.(type) {
	case int:
		return binary.AppendVarint(append(b, byte(KindInt)), int64(x)), true
	case string:
		if len(x) > MaxPlainLen {
			break
		}
		return appendString(append(b, byte(KindString)), x), true
	case time.Duration:
		return binary.AppendVarint(append(b, byte(KindDuration)), int64(x)), true
	case bool:
		if x {
			return append(b, byte(KindTrue)), true
		}
		return append(b, byte(KindFalse)), true
	case int64:
		return binary.AppendVarint(append(b, byte(KindInt)), x), true
	case int32:
		return binary.AppendVarint(append(b, byte(KindInt)), int64(x)), true
	case int16:
		return binary.AppendVarint(append(b, byte(KindInt)), int64(x)), true
	case int8:
		return binary.AppendVarint(append(b, byte(KindInt)), int64(x)), true
	case uint:
		return binary.AppendUvarint(append(b, byte(KindUint)), uint64(x)), true
	case uint64:
		return binary.AppendUvarint(append(b, byte(KindUint)), x), true
	case uint32:
		return binary.AppendUvarint(append(b, byte(KindUint)), uint64(x)), true
	case uint16:
		return binary.AppendUvarint(append(b, byte(KindUint)), uint64(x)), true
	case uint8:
		return binary.AppendUvarint(append(b, byte(KindUint)), uint64(x)), true
	case uintptr:
		return binary.AppendUvarint(append(b, byte(KindUint)), uint64(x)), true
	case float64:
		return binary.LittleEndian.AppendUint64(append(b, byte(KindFloat)), math.Float64bits(x)), true
	case float32:
		return binary.LittleEndian.AppendUint64(append(b, byte(KindFloat)), math.Float64bits(float64(x))), true
	}
	return b[:n], false
}
