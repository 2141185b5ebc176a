package jstrace

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"runtime"
	"time"
	"unicode/utf8"
)

// Record kinds and value tags of the event encoding. They are specified in
// docs/protocol.md and decoded by package internal/protocol, whose tests check that
// both sides agree on every kind.
const (
	recordEvent = 0x01 // fired by a probe
	recordEmit  = 0x02 // emitted by a remote script

	tagNil      = 0x00
	tagFalse    = 0x01
	tagTrue     = 0x02
	tagInt      = 0x03
	tagUint     = 0x04
	tagFloat    = 0x05
	tagString   = 0x06
	tagBytes    = 0x07
	tagTime     = 0x08
	tagDuration = 0x09
	tagError    = 0x0a
	tagList     = 0x0b
	tagMap      = 0x0c
)

// Encoding limits: they keep one careless call site (a huge body, a cyclic
// structure) from stalling the service or flooding a session.
const (
	// MaxValueLen is the longest string, byte slice or error text kept in a
	// field; longer ones are cut and strings get a "…(+N bytes)" marker.
	MaxValueLen = 16 << 10
	// MaxElems is the number of elements kept of a slice, array or map (and
	// of the exported fields of a struct); the rest are left out.
	MaxElems = 256
	// MaxDepth is how deep nested slices, maps and structs are followed;
	// deeper values are encoded as the string "…".
	MaxDepth = 6
)

// badKey is the key of a value that has no key, as in log/slog.
const badKey = "!BADKEY"

// appendRecord encodes one event: kind, name, timestamp and fields.
// It never retains kv or anything it points to.
func appendRecord(b []byte, kind byte, name string, ts int64, kv []any) []byte {
	b = append(b, kind)
	b = appendString(b, name)
	return appendFields(appendTime(b, ts), kv)
}

// appendTime encodes a record's time: nanoseconds since the Unix epoch, a
// fixed 8-byte little-endian integer.
func appendTime(b []byte, ts int64) []byte {
	return binary.LittleEndian.AppendUint64(b, uint64(ts))
}

// full reports that an event has outgrown MaxRecordSize: encoding stops
// there, so that a small structure that multiplies (a list of 256 lists of
// 256 lists of the same long string) costs at most that much work and
// memory; the cut record is then dropped and counted. b starts with the
// frameHdr bytes reserved for the record's length.
func full(b []byte) bool { return len(b)-frameHdr > MaxRecordSize }

// appendFields encodes alternating keys and values with log/slog's rules: a
// string key takes the value after it, a slog.Attr stands for itself, and
// anything else is a value under the key "!BADKEY".
func appendFields(b []byte, kv []any) []byte {
	for len(kv) > 0 && !full(b) {
		if k, ok := kv[0].(string); ok && len(kv) > 1 { // the common case first
			b = appendString(b, k)
			// The commonest values here, in the loop: appendValue is a
			// call, and its type switch a search.
			switch v := kv[1].(type) {
			case int:
				b = binary.AppendVarint(append(b, tagInt), int64(v))
			case string:
				b = appendString(append(b, tagString), v)
			case time.Duration:
				b = binary.AppendVarint(append(b, tagDuration), int64(v))
			default:
				b = appendValue(b, v, 0)
			}
			kv = kv[2:]
			continue
		}
		switch k := kv[0].(type) {
		case string:
			if len(kv) == 1 {
				b = appendString(b, badKey)
				b = appendValue(b, k, 0)
				return b
			}
			b = appendString(b, k)
			b = appendValue(b, kv[1], 0)
			kv = kv[2:]
		case slog.Attr:
			b = appendString(b, k.Key)
			b = appendSlogValue(b, k.Value, 0)
			kv = kv[1:]
		default:
			b = appendString(b, badKey)
			b = appendValue(b, k, 0)
			kv = kv[1:]
		}
	}
	return b
}

func appendString(b []byte, s string) []byte {
	if len(s) < 0x80 { // the common case, inlined: one length byte
		return append(append(b, byte(len(s))), s...)
	}
	return appendLongString(b, s)
}

// appendLongString is appendString for strings of 128 bytes or more.
func appendLongString(b []byte, s string) []byte {
	if len(s) <= MaxValueLen {
		b = binary.AppendUvarint(b, uint64(len(s)))
		return append(b, s...)
	}
	cut := MaxValueLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	marker := fmt.Sprintf("…(+%d bytes)", len(s)-cut)
	b = binary.AppendUvarint(b, uint64(cut+len(marker)))
	b = append(b, s[:cut]...)
	return append(b, marker...)
}

func appendBytes(b []byte, p []byte) []byte {
	if len(p) > MaxValueLen {
		p = p[:MaxValueLen]
	}
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

func appendValue(b []byte, v any, depth int) []byte {
	// The most common types first: a type switch over this many cases
	// costs a search.
	if x, ok := v.(int); ok {
		return binary.AppendVarint(append(b, tagInt), int64(x))
	}
	if x, ok := v.(string); ok {
		return appendString(append(b, tagString), x)
	}
	switch x := v.(type) {
	case nil:
		return append(b, tagNil)
	case string:
		return appendString(append(b, tagString), x)
	case int:
		return binary.AppendVarint(append(b, tagInt), int64(x))
	case int64:
		return binary.AppendVarint(append(b, tagInt), x)
	case int32:
		return binary.AppendVarint(append(b, tagInt), int64(x))
	case int16:
		return binary.AppendVarint(append(b, tagInt), int64(x))
	case int8:
		return binary.AppendVarint(append(b, tagInt), int64(x))
	case uint:
		return binary.AppendUvarint(append(b, tagUint), uint64(x))
	case uint64:
		return binary.AppendUvarint(append(b, tagUint), x)
	case uint32:
		return binary.AppendUvarint(append(b, tagUint), uint64(x))
	case uint16:
		return binary.AppendUvarint(append(b, tagUint), uint64(x))
	case uint8:
		return binary.AppendUvarint(append(b, tagUint), uint64(x))
	case uintptr:
		return binary.AppendUvarint(append(b, tagUint), uint64(x))
	case float64:
		return appendFloat(b, x)
	case float32:
		return appendFloat(b, float64(x))
	case bool:
		if x {
			return append(b, tagTrue)
		}
		return append(b, tagFalse)
	case time.Duration:
		return binary.AppendVarint(append(b, tagDuration), int64(x))
	case time.Time:
		return binary.AppendVarint(append(b, tagTime), x.UnixNano())
	case []byte:
		return appendBytes(append(b, tagBytes), x)
	case slog.Value:
		return appendSlogValue(b, x, depth)
	case error:
		if isNilPointer(x) {
			return append(b, tagNil)
		}
		return appendString(append(b, tagError), callString(x.Error))
	case fmt.Stringer:
		if isNilPointer(x) {
			return append(b, tagNil)
		}
		return appendString(append(b, tagString), callString(x.String))
	case []any:
		if depth >= MaxDepth {
			return appendString(append(b, tagString), "…")
		}
		n := min(len(x), MaxElems)
		b = binary.AppendUvarint(append(b, tagList), uint64(n))
		for _, e := range x[:n] {
			if full(b) {
				break
			}
			b = appendValue(b, e, depth+1)
		}
		return b
	case map[string]any:
		if depth >= MaxDepth {
			return appendString(append(b, tagString), "…")
		}
		n := min(len(x), MaxElems)
		b = binary.AppendUvarint(append(b, tagMap), uint64(n))
		for k, e := range x {
			if n == 0 || full(b) {
				break
			}
			n--
			b = appendString(append(b, tagString), k)
			b = appendValue(b, e, depth+1)
		}
		return b
	}
	return appendReflect(b, reflect.ValueOf(v), depth)
}

func appendFloat(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(append(b, tagFloat), math.Float64bits(f))
}

// callString calls a String or Error method, turning a panic into text the
// way fmt does: a broken field must not take the service down. The panic
// value itself is only printed if it is a string or a runtime error, since
// printing anything else could call a method that panics again.
func callString(f func() string) (s string) {
	defer func() {
		if r := recover(); r != nil {
			switch x := r.(type) {
			case string:
				s = "!PANIC(" + x + ")"
			case runtime.Error:
				s = "!PANIC(" + x.Error() + ")"
			default:
				s = fmt.Sprintf("!PANIC(%T)", r)
			}
		}
	}()
	return f()
}

func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

func appendSlogValue(b []byte, v slog.Value, depth int) []byte {
	switch v.Kind() {
	case slog.KindString:
		return appendString(append(b, tagString), v.String())
	case slog.KindInt64:
		return binary.AppendVarint(append(b, tagInt), v.Int64())
	case slog.KindUint64:
		return binary.AppendUvarint(append(b, tagUint), v.Uint64())
	case slog.KindFloat64:
		return appendFloat(b, v.Float64())
	case slog.KindBool:
		return appendValue(b, v.Bool(), depth)
	case slog.KindDuration:
		return binary.AppendVarint(append(b, tagDuration), int64(v.Duration()))
	case slog.KindTime:
		return binary.AppendVarint(append(b, tagTime), v.Time().UnixNano())
	case slog.KindGroup:
		if depth >= MaxDepth {
			return appendString(append(b, tagString), "…")
		}
		attrs := v.Group()
		n := min(len(attrs), MaxElems)
		b = binary.AppendUvarint(append(b, tagMap), uint64(n))
		for _, a := range attrs[:n] {
			if full(b) {
				break
			}
			b = appendString(append(b, tagString), a.Key)
			b = appendSlogValue(b, a.Value, depth+1)
		}
		return b
	case slog.KindLogValuer:
		return appendSlogValue(b, v.Resolve(), depth)
	}
	return appendValue(b, v.Any(), depth)
}

// appendReflect encodes the values the type switch does not know: named
// basic types, slices, arrays, maps, structs and pointers to them.
func appendReflect(b []byte, rv reflect.Value, depth int) []byte {
	switch rv.Kind() {
	case reflect.Bool:
		return appendValue(b, rv.Bool(), depth)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return binary.AppendVarint(append(b, tagInt), rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return binary.AppendUvarint(append(b, tagUint), rv.Uint())
	case reflect.Float32, reflect.Float64:
		return appendFloat(b, rv.Float())
	case reflect.String:
		return appendString(append(b, tagString), rv.String())
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return append(b, tagNil)
		}
		if depth >= MaxDepth {
			return appendString(append(b, tagString), "…")
		}
		return appendReflect(b, rv.Elem(), depth+1)
	}
	if depth >= MaxDepth {
		return appendString(append(b, tagString), "…")
	}
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			n := min(rv.Len(), MaxValueLen)
			b = binary.AppendUvarint(append(b, tagBytes), uint64(n))
			for i := range n {
				b = append(b, byte(rv.Index(i).Uint()))
			}
			return b
		}
		n := min(rv.Len(), MaxElems)
		b = binary.AppendUvarint(append(b, tagList), uint64(n))
		for i := 0; i < n && !full(b); i++ {
			b = appendElem(b, rv.Index(i), depth+1)
		}
		return b
	case reflect.Map:
		n := min(rv.Len(), MaxElems)
		b = binary.AppendUvarint(append(b, tagMap), uint64(n))
		it := rv.MapRange()
		for n > 0 && !full(b) && it.Next() {
			n--
			b = appendElem(b, it.Key(), depth+1)
			b = appendElem(b, it.Value(), depth+1)
		}
		return b
	case reflect.Struct:
		t := rv.Type()
		n := 0
		for i := range t.NumField() {
			if t.Field(i).IsExported() && n < MaxElems {
				n++
			}
		}
		b = binary.AppendUvarint(append(b, tagMap), uint64(n))
		for i := 0; i < t.NumField() && n > 0 && !full(b); i++ {
			if f := t.Field(i); f.IsExported() {
				n--
				b = appendString(append(b, tagString), f.Name)
				b = appendElem(b, rv.Field(i), depth+1)
			}
		}
		return b
	}
	// Complex numbers, channels, functions, unsafe pointers: their text.
	return appendString(append(b, tagString), fmt.Sprint(rv))
}

// appendElem encodes an element of a container, going through its
// interface value when it has one so that time.Time, errors and Stringers
// inside containers are encoded as at the top level.
func appendElem(b []byte, rv reflect.Value, depth int) []byte {
	if rv.CanInterface() {
		return appendValue(b, rv.Interface(), depth)
	}
	return appendReflect(b, rv, depth)
}
