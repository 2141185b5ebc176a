package script

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// How traces reach an Aggregation's groups: their By, Of and Where fields
// read, the predicate evaluated and the key built without allocating.
//
// A group's key is the By field's value when there is one; with several,
// it is each value's length as a uvarint followed by the value (see
// splitKey), so that no two tuples of values share a key.

// maxPlainKey is the longest By string that plain groups by: longer ones
// take the record's way, which has the storage for them.
const maxPlainKey = 64

// addEvent aggregates one event as its probe fires it, on the probe's
// goroutine: from its fields as given when the record would hold the same
// (no encoding, no decoding), else from its record. It allocates only for a new group,
// and never panics.
func (a *Aggregation) addEvent(e jstrace.Event) {
	defer func() {
		if recover() != nil { // cannot happen: the process encoded the record itself
			a.drop()
		}
	}()
	// The fields as given (jstrace.Event.Fields), each pair checked as it
	// is read (pairKey) and each value read checked plain; storage on the
	// stack, sized for one By field (the common case: less to clear per
	// event) or for several.
	if kv, ok := e.Fields(); ok {
		var done bool
		if len(a.s.by) <= 1 && !a.s.where.active() {
			var kb [maxPlainKey]byte
			if key, v, ok, simple := a.plainSimple(kv, kb[:0]); simple {
				if a.update(key, v, ok) {
					a.noteArgs(kv)
				}
				return
			}
		} else if len(a.s.by) <= 1 {
			var kb [maxPlainKey]byte
			done = a.addPlain1(kv, kb[:0])
		} else {
			done = a.addPlainMany(kv)
		}
		if done {
			return
		}
	}
	rec := e.Record()
	if rec == nil { // over jstrace.MaxRecordSize
		a.drop()
		return
	}
	d := recordHeader(rec)
	if d.err != nil {
		return
	}
	t := Trace{fields: d.fields}
	a.add(&t)
}

// drop counts an event left out.
func (a *Aggregation) drop() {
	a.mu.Lock()
	a.dropped++
	a.mu.Unlock()
}

// addPlain1 and addPlainN aggregate the fields as given
// (jstrace.Event.Fields), each pair checked by pairKey, read as the record
// would present them, for at most one By field with a Where (without one,
// addEvent calls plainSimple itself) and for several: the values stay in
// locals, the key is built in buf. done is false when they cannot (a pair
// the record holds otherwise, a By, Of or Where value that is not plain
// or that they leave to the record, a long string): the caller then
// decodes the record.
func (a *Aggregation) addPlain1(kv []any, buf []byte) (done bool) {
	var wv any
	w := &a.s.where.field
	for i := 0; i+1 < len(kv); i += 2 {
		k, ok := pairKey(kv[i], kv[i+1])
		if !ok && !pairBounded(kv[i], kv[i+1]) {
			return false
		}
		if w.ok && sameKey(k, w.key) {
			if wv = kv[i+1]; wv == nil {
				return false // a nil value: present in the record ("" to Str), missing here
			}
		}
	}
	if pass, known := a.wherePlain(kv, wv); !known || !pass {
		return known
	}
	key, v, ok, done := a.plainSimple(kv, buf)
	if done && a.update(key, v, ok) {
		a.noteArgs(kv)
	}
	return done
}

// plainSimple reads the key and value of the fields as given
// (jstrace.Event.Fields) for at most one By field and no Where, the
// commonest aggregation, in as little code as the probe's path can have
// (addPlain1 evaluates a Where first); done is false as for addPlain1, and
// when a key is not a short string or the Of value is not plain
// (jstrace.Event.Args): the record then says what the fields are.
func (a *Aggregation) plainSimple(kv []any, buf []byte) (key []byte, v float64, ok, done bool) {
	var by, of any
	byKey := &noKey
	if len(a.s.by) == 1 {
		byKey = &a.s.by[0]
	}
	for i := 0; i+1 < len(kv); i += 2 {
		// pairKey's checks, written out: on this path the compiler
		// branches on each at once (a few ns an event).
		k, isString := kv[i].(string)
		if !isString || len(k) > maxPlainField {
			return nil, 0, false, false
		}
		if v := kv[i+1]; !isStr(v) && !isInt(v) && !isDur(v) && !boundedKind(v) {
			return nil, 0, false, false
		}
		if byKey.ok && sameKey(k, byKey.key) {
			by = kv[i+1]
		}
		if a.s.of.ok && sameKey(k, a.s.of.key) {
			of = kv[i+1]
		}
	}
	if by != nil {
		if key, done = plainPart(buf, by); !done {
			return nil, 0, false, false
		}
	}
	ok = true
	if a.spec.Of != "" {
		if v, ok = plainNumber(of); !ok && !missingNumber(of) {
			return nil, 0, false, false
		}
	}
	return key, v, ok, true
}

// pairKey returns the key of a pair of fields as given, and whether the
// record holds the pair as such, in the commonest case: the key a string
// of at most maxPlainField bytes (else the record pairs keys and values
// otherwise), the value a string, an int or a duration (told by the type
// word alone). When ok is false, pairBounded tells for other values.
func pairKey(k, v any) (key string, ok bool) {
	s, ok := k.(string)
	return s, ok && len(s) <= maxPlainField && (isStr(v) || isInt(v) || isDur(v))
}

// pairBounded is pairKey's ok for any value: one whose encoding is bounded
// (see boundedKind).
func pairBounded(k, v any) bool {
	s, ok := k.(string)
	return ok && len(s) <= maxPlainField && boundedKind(v)
}

// missingNumber reports whether v, which plainNumber did not take, reads
// as a missing number from the record too: absent (nil), or a plain value
// that is not a number (jstrace.Event.Args). Other values (a named
// integer type, a Stringer) go the record's way.
func missingNumber(v any) bool { return v == nil || plainOther(v) }

// isStr, isInt and isDur compare a value's type word: a type switch
// loads the type's hash first, from another cache line.
func isStr(v any) bool { _, ok := v.(string); return ok }
func isInt(v any) bool { _, ok := v.(int); return ok }
func isDur(v any) bool { _, ok := v.(time.Duration); return ok }

// boundedKind tells whether a value's encoding is bounded, so that at most
// 32 such fields can never make a record too large to keep
// (jstrace.MaxRecordSize, past which the record's way drops the event):
// a value of any kind but a container (slice, array, map, struct, pointer,
// interface), whose text or bytes the encoding cuts, or a container that
// is an error or a fmt.Stringer, which the encoding writes as its text. A
// slog.Value, a Stringer the encoding writes as its value (a group, say),
// is not.
//
// The kind is told first: a type switch on interfaces (error,
// fmt.Stringer) consults a cache that grows with the types it meets, and
// the commonest values (an id, a count) need none.
func boundedKind(v any) bool {
	t := reflect.TypeOf(v)
	if t == nil {
		return true
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map, reflect.Struct, reflect.Pointer, reflect.Interface:
	default:
		return true
	}
	switch v.(type) {
	case slog.Value:
		return false
	case error, fmt.Stringer:
		return true
	}
	return false
}

// sameKey is k == key, the first bytes compared first: keys of one length
// (method, status) are told apart without a call to compare them.
func sameKey(k, key string) bool {
	return len(k) == len(key) && (len(k) == 0 || k[0] == key[0]) && k == key
}

// maxPlainField is the longest key, and string value, that
// jstrace.Event.Args calls plain.
const maxPlainField = 1 << 10

// plainOther reports whether x is a plain value (jstrace.Event.Args) that
// is not a number: a string or a bool, which an Of field reads as missing
// from the record too.
func plainOther(x any) bool {
	switch x := x.(type) {
	case string:
		return len(x) <= maxPlainField
	case bool:
		return true
	}
	return false
}

// noKey is the rawKey of no field.
var noKey rawKey

// addPlainMany is addPlainN with its key's storage, in a frame of its
// own: the one-field path's frame stays small.
//
//go:noinline
func (a *Aggregation) addPlainMany(kv []any) bool {
	var kb [MaxBy * (maxPlainKey + 2)]byte
	return a.addPlainN(kv, kb[:0])
}

func (a *Aggregation) addPlainN(kv []any, buf []byte) (done bool) {
	s := &a.s
	var by [MaxBy]any
	var of, wv any
	for i := 0; i+1 < len(kv); i += 2 {
		k, ok := pairKey(kv[i], kv[i+1])
		if !ok && !pairBounded(kv[i], kv[i+1]) {
			return false
		}
		for j := range s.by {
			if s.by[j].ok && k == s.by[j].key {
				if by[j] = kv[i+1]; by[j] == nil {
					return false
				}
			}
		}
		if s.of.ok && k == s.of.key {
			of = kv[i+1]
		}
		if s.where.field.ok && k == s.where.field.key {
			if wv = kv[i+1]; wv == nil {
				return false
			}
		}
	}
	v, ok := 0.0, true // the Of value, read once
	if a.spec.Of != "" {
		if v, ok = plainNumber(of); !ok && !missingNumber(of) {
			return false
		}
	}
	if pass, known := a.wherePlain(kv, wv); !known || !pass {
		return known
	}
	key := buf
	for j := range s.by {
		var pb [maxPlainKey]byte
		part := pb[:0]
		if by[j] != nil {
			if part, done = plainPart(part, by[j]); !done {
				return false
			}
		}
		key = binary.AppendUvarint(key, uint64(len(part)))
		key = append(key, part...)
	}
	if a.byHad(func(j int) bool { return by[j] != nil }) {
		a.noteArgs(kv)
	}
	if a.update(key, v, ok) {
		a.noteArgs(kv)
	}
	return true
}

// wherePlain evaluates the Where predicate on its plain value wv (nil:
// missing): pass, or known false when the value needs the record's way.
func (a *Aggregation) wherePlain(kv []any, wv any) (pass, known bool) {
	if !a.s.where.active() {
		return true, true
	}
	if a.whereHad(wv != nil) {
		a.noteArgs(kv)
	}
	return a.s.where.plain(wv)
}

// byHad records which of several By fields a trace had; it reports
// whether the caller should note the trace's keys: the first to miss one.
func (a *Aggregation) byHad(had func(j int) bool) (note bool) {
	for j := range a.s.by {
		switch {
		case !had(j):
			note = note || !a.byMissed.Load() && !a.byMissed.Swap(true)
		case !a.bySeen[j].Load():
			a.bySeen[j].Store(true)
		}
	}
	return note
}

// whereHad records whether a trace had the Where field; it reports
// whether the caller should note the trace's keys: the first to miss it.
func (a *Aggregation) whereHad(had bool) (note bool) {
	if had {
		if !a.whereSeen.Load() {
			a.whereSeen.Store(true)
		}
		return false
	}
	return !a.whereMissed.Load() && !a.whereMissed.Swap(true)
}

// plainPart appends a plain By value as Trace.Str formats it; false for
// kinds it leaves to the record's way.
func plainPart(buf []byte, by any) ([]byte, bool) {
	switch x := by.(type) {
	case string:
		if len(x) > maxPlainKey {
			return nil, false
		}
		return append(buf, x...), true
	case int:
		return appendInt(buf, int64(x)), true
	case int64:
		return appendInt(buf, x), true
	case int32:
		return appendInt(buf, int64(x)), true
	case uint:
		return appendUint(buf, uint64(x)), true
	case uint64:
		return appendUint(buf, x), true
	case uint32:
		return appendUint(buf, uint64(x)), true
	case bool:
		return append(buf, strconv.FormatBool(x)...), true
	case float64:
		return appendFloat(buf, x), true
	case float32:
		return appendFloat(buf, float64(x)), true // encoded as a float64
	}
	return nil, false // durations, small ints: formatted as Str does
}

// appendInt and appendUint are strconv's base-10 appends, with the
// numbers under 1,000 (HTTP statuses, the commonest By of an integer)
// written digit by digit: strconv's fast path stops at 100, and the rest
// of its path was a quarter of an Aggregation's time in a saturated
// service's profile.
func appendInt(buf []byte, x int64) []byte {
	if 0 <= x && x < 1000 {
		return appendSmall(buf, int(x))
	}
	return strconv.AppendInt(buf, x, 10)
}

func appendUint(buf []byte, x uint64) []byte {
	if x < 1000 {
		return appendSmall(buf, int(x))
	}
	return strconv.AppendUint(buf, x, 10)
}

// appendSmall appends the decimal digits of 0 <= x < 1000.
func appendSmall(buf []byte, x int) []byte {
	switch {
	case x < 10:
		return append(buf, byte('0'+x))
	case x < 100:
		return append(buf, byte('0'+x/10), byte('0'+x%10))
	}
	return append(buf, byte('0'+x/100), byte('0'+x/10%10), byte('0'+x%10))
}

// appendFloat appends f as Trace.Str formats it (fmt's %v) without
// allocating.
func appendFloat(buf []byte, f float64) []byte {
	return strconv.AppendFloat(buf, f, 'g', -1, 64)
}

// plainNumber is numberOf for a plain value.
func plainNumber(x any) (float64, bool) {
	// The commonest Of types first, as plain comparisons: the switch
	// below searches.
	if d, ok := x.(time.Duration); ok {
		return float64(d), true
	}
	if n, ok := x.(int); ok {
		return float64(n), true
	}
	var f float64
	switch x := x.(type) {
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case int32:
		f = float64(x)
	case int16:
		f = float64(x)
	case int8:
		f = float64(x)
	case uint:
		f = float64(x)
	case uint64:
		f = float64(x)
	case uint32:
		f = float64(x)
	case uint16:
		f = float64(x)
	case uint8:
		f = float64(x)
	case uintptr:
		f = float64(x)
	case float64:
		f = x
	case float32:
		f = float64(x)
	case time.Duration:
		f = float64(x)
	default: // strings, bools, missing
		return 0, false
	}
	return f, !math.IsNaN(f) && !math.IsInf(f, 0)
}

// add aggregates one trace. It allocates only for a new group (and for a
// key of more than 128 bytes).
func (a *Aggregation) add(t *Trace) {
	var by [MaxBy][]byte
	of, wv := a.lookup(t, &by) // one pass over the fields
	if a.s.where.active() {
		if a.whereHad(wv != nil) {
			a.noteFields(t.fields)
		}
		if !a.s.where.encoded(t, wv) {
			return
		}
	}
	if len(a.s.by) > 1 && a.byHad(func(j int) bool { return by[j] != nil }) {
		a.noteFields(t.fields)
	}
	v, ok := 0.0, true
	if a.spec.Of != "" {
		v, ok = numberOf(of)
	}
	var kb [128]byte
	if a.update(a.keyOf(t, &by, kb[:0]), v, ok) {
		a.noteFields(t.fields)
	}
}

// lookup finds the encoded values of the By, Of and Where fields in one
// pass; the last of a key wins.
func (a *Aggregation) lookup(t *Trace, by *[MaxBy][]byte) (of, where []byte) {
	s := &a.s
	for f := t.fields; len(f) > 0; {
		k, v, rest, err := protocol.NextField(f)
		if err != nil {
			break
		}
		for j := range s.by {
			if s.by[j].ok && string(k) == s.by[j].key {
				by[j] = v
			}
		}
		if s.of.ok && string(k) == s.of.key {
			of = v
		}
		if s.where.field.ok && string(k) == s.where.field.key {
			where = v
		}
		f = rest
	}
	return of, where
}

// keyOf returns the trace's group key from the By fields' encoded values:
// in the record's storage, in buf's, or (for kinds other than strings and
// integers) new strings.
func (a *Aggregation) keyOf(t *Trace, by *[MaxBy][]byte, buf []byte) []byte {
	switch len(a.s.by) {
	case 0:
		return nil
	case 1:
		return a.partOf(t, by[0], a.s.names[0], buf)
	}
	for j := range a.s.by {
		var pb [24]byte
		part := a.partOf(t, by[j], a.s.names[j], pb[:0])
		buf = binary.AppendUvarint(buf, uint64(len(part)))
		buf = append(buf, part...)
	}
	return buf
}

// partOf returns a By value as Trace.Str formats it: strings, integers,
// bools and floats without allocating.
func (a *Aggregation) partOf(t *Trace, v []byte, name string, buf []byte) []byte {
	if len(v) == 0 {
		return nil
	}
	if s, ok := stringOf(v); ok {
		return s
	}
	switch protocol.Kind(v[0]) {
	case protocol.KindInt:
		if x, w := binary.Varint(v[1:]); w > 0 {
			return strconv.AppendInt(buf, x, 10)
		}
	case protocol.KindUint:
		if x, w := binary.Uvarint(v[1:]); w > 0 {
			return strconv.AppendUint(buf, x, 10)
		}
	case protocol.KindTrue, protocol.KindFalse:
		return append(buf, strconv.FormatBool(protocol.Kind(v[0]) == protocol.KindTrue)...)
	case protocol.KindFloat:
		if len(v) >= 9 {
			return appendFloat(buf, math.Float64frombits(binary.LittleEndian.Uint64(v[1:9])))
		}
	}
	return append(buf, t.Str(name)...)
}

// stringOf returns the bytes of an encoded string, bytes or error value.
func stringOf(v []byte) ([]byte, bool) {
	switch protocol.Kind(v[0]) {
	case protocol.KindString, protocol.KindBytes, protocol.KindError:
		if n, w := binary.Uvarint(v[1:]); w > 0 && uint64(len(v)-1-w) >= n {
			return v[1+w : 1+w+int(n)], true
		}
	}
	return nil, false
}

// splitKey returns the values of the By fields that make up key, and the
// group's Key: the one value, or the values joined by commas.
func (a *Aggregation) splitKey(key []byte) (keys []string, joined string) {
	switch len(a.s.by) {
	case 0:
		return nil, ""
	case 1:
		k := string(key)
		return []string{k}, k
	}
	keys = make([]string, 0, len(a.s.by))
	for len(keys) < len(a.s.by) {
		n, w := binary.Uvarint(key)
		if w <= 0 || n > uint64(len(key)-w) {
			break // cannot happen: keyOf wrote it
		}
		keys = append(keys, string(key[w:w+int(n)]))
		key = key[w+int(n):]
	}
	return keys, strings.Join(keys, ",")
}

// joinKey is keyOf for the values of a shipped group.
func (a *Aggregation) joinKey(keys []string, buf []byte) []byte {
	if len(a.s.by) == 1 && len(keys) == 1 {
		return append(buf, keys[0]...)
	}
	for _, k := range keys {
		buf = binary.AppendUvarint(buf, uint64(len(k)))
		buf = append(buf, k...)
	}
	return buf
}
