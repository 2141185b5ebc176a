package script

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost/link"
)

// A Trace is one event: fired by a probe in a traced process, or emitted by
// a Remote function and received by Local. The exported fields describe
// where and when; the probe's fields are read with the getters, which return
// the zero value when the key is missing or holds another kind.
//
// Field values reach scripts as these Go types: signed integers as int,
// unsigned ones as uint, floats as float64, bool, string, []byte,
// time.Time, time.Duration, errors as an error with the same text, slices
// and arrays as []any, maps and structs as map[string]any (map[any]any if a
// key is not a string), pointers as what they point to, and anything else
// (a fmt.Stringer included) as its text. Strings are cut at 16 KiB and
// containers at 256 elements.
//
// A field named as one of the Trace's own properties (name, time,
// hostname, title, pid, with any leading underscores) is presented with
// one more underscore, so that neither hides the other: a probe's "pid"
// field is read as t.Int("_pid").
//
// A Trace is a copy: it never points into the traced process's memory, and a
// handler may keep it after returning. It is not modified while a handler
// can reach it, so it is safe to read from any goroutine.
type Trace struct {
	Name     string    // probe name, or the name given to traces.Emit
	Time     time.Time // when the probe fired, on the traced host's clock
	Hostname string    // host of the traced process
	Title    string    // title of the traced process
	PID      int       // pid of the traced process

	fields []byte // encoded fields, see docs/protocol.md; never modified
}

func init() {
	link.Script = link.Constructors[Trace, Traces]{
		NewTraces:  func(h link.Host[Trace]) *Traces { return &Traces{host: h} },
		ParseTrace: parseTrace,
		LoadTrace:  loadTrace,
		LoadNamed:  loadNamedTrace,
		OnBounded: func(t *Traces, pattern string, fn func(*Trace), loan link.Loan) {
			t.on(pattern, fn, true, loan)
		},
		LoadFields: func(t *Trace, name string, tm time.Time, fields []byte, o link.Origin) {
			*t = Trace{Name: name, Time: tm, Hostname: o.Hostname, Title: o.Title, PID: o.PID, fields: fields}
		},
		Fields:  fieldsReader,
		Getters: getters,
	}
}

// parseTrace is scripthost.ParseTrace.
func parseTrace(rec []byte, o link.Origin) (*Trace, error) {
	r, err := protocol.ParseRecord(rec)
	if err != nil {
		return nil, err
	}
	return &Trace{
		Name:     string(r.Name),
		Time:     time.Unix(0, r.Time),
		Hostname: o.Hostname,
		Title:    o.Title,
		PID:      o.PID,
		fields:   r.Fields,
	}, nil
}

// loadTrace is scripthost.LoadTrace.
func loadTrace(t *Trace, rec []byte, o link.Origin) error { return loadNamedTrace(t, rec, "", o) }

// loadNamedTrace is scripthost.LoadNamedTrace: loadTrace, with the
// record's name given ("": decoded) to save its allocation.
func loadNamedTrace(t *Trace, rec []byte, name string, o link.Origin) error {
	d := recordHeader(rec)
	if d.err != nil {
		return d.err
	}
	if name == "" || len(name) != len(d.name) {
		name = string(d.name)
	}
	*t = Trace{Name: name, Time: time.Unix(0, d.time), Hostname: o.Hostname, Title: o.Title, PID: o.PID, fields: d.fields}
	return nil
}

type header struct {
	name   []byte
	time   int64
	fields []byte
	err    error
}

func recordHeader(rec []byte) header {
	_, name, err := protocol.PeekRecord(rec)
	if err != nil {
		return header{err: err}
	}
	rest := rec[1+uvarintLen(uint64(len(name)))+len(name):] // kind, name length, name
	if len(rest) < 8 {
		return header{err: fmt.Errorf("%w: bad record time", protocol.ErrMalformed)}
	}
	return header{name: name, time: int64(binary.LittleEndian.Uint64(rest)), fields: rest[8:]}
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// lookup returns the encoded value of the last field presented as key.
func (t *Trace) lookup(key string) []byte {
	var found []byte
	for f := t.fields; len(f) > 0; {
		k, v, rest, err := protocol.NextField(f)
		if err != nil {
			break
		}
		if keyIs(k, key) {
			found = v
		}
		f = rest
	}
	return found
}

// A rawKey is the raw field key that a script's key presents (see
// link.PresentKey), worked out once rather than per field.
type rawKey struct {
	key string
	ok  bool // false: no raw key is presented as the script's key
}

func rawKeyOf(key string) rawKey {
	if !link.IsReserved(key) {
		return rawKey{key, key != ""}
	}
	if key[0] == '_' {
		return rawKey{key[1:], true}
	}
	return rawKey{} // "pid" reads nothing: the probe's pid field is "_pid"
}

// lookup2 is lookup for two keys at once, in one pass.
func (t *Trace) lookup2(key1, key2 rawKey) (v1, v2 []byte) {
	for f := t.fields; len(f) > 0; {
		k, v, rest, err := protocol.NextField(f)
		if err != nil {
			break
		}
		if key1.ok && string(k) == key1.key {
			v1 = v
		}
		if key2.ok && string(k) == key2.key {
			v2 = v
		}
		f = rest
	}
	return v1, v2
}

// keyIs reports whether the raw key k is presented as key, without
// allocating.
func keyIs(k []byte, key string) bool {
	if string(k) == key {
		return !link.IsReserved(key)
	}
	return len(key) == len(k)+1 && key[0] == '_' && key[1:] == string(k) && link.IsReserved(key)
}

// Get returns the value of the field key, decoded (see Trace for the Go
// types), or nil if it is missing. When a key appears more than once,
// the last one wins.
func (t *Trace) Get(key string) any { return decodeOf(t.lookup(key)) }

// decodeOf is Get of an encoded value (nil: missing).
func decodeOf(v []byte) any {
	if v == nil {
		return nil
	}
	x, _, err := protocol.DecodeValue(v)
	if err != nil {
		return nil
	}
	return x
}

// Has reports whether the trace has the field key.
func (t *Trace) Has(key string) bool { return t.lookup(key) != nil }

// scalar is a numeric or boolean field, decoded without allocating: the
// getters below are what handlers call on every event.
type scalar struct {
	kind protocol.Kind
	i    int64
	u    uint64
	f    float64
}

// scalarOf decodes an encoded value if it is a number, a duration, a time
// or a bool; kind is 0xff if it is missing (nil) or of another kind.
func scalarOf(v []byte) scalar {
	if len(v) == 0 {
		return scalar{kind: 0xff}
	}
	switch k := protocol.Kind(v[0]); k {
	case protocol.KindInt, protocol.KindDuration, protocol.KindTime:
		if x, n := binary.Varint(v[1:]); n > 0 {
			return scalar{kind: k, i: x}
		}
	case protocol.KindUint:
		if x, n := binary.Uvarint(v[1:]); n > 0 {
			return scalar{kind: k, u: x}
		}
	case protocol.KindFloat:
		if len(v) >= 9 {
			return scalar{kind: k, f: math.Float64frombits(binary.LittleEndian.Uint64(v[1:9]))}
		}
	case protocol.KindTrue, protocol.KindFalse:
		return scalar{kind: k}
	}
	return scalar{kind: 0xff}
}

// Int returns the field key as an int: integers (signed or not), and
// durations in nanoseconds; floats are truncated.
func (t *Trace) Int(key string) int { return intOf(t.lookup(key)) }

// intOf is Int of an encoded value (nil: missing), and so on for the
// getters below: what compiled handlers read fields with.
func intOf(v []byte) int {
	switch s := scalarOf(v); s.kind {
	case protocol.KindInt, protocol.KindDuration:
		return int(s.i)
	case protocol.KindUint:
		return int(s.u)
	case protocol.KindFloat:
		return int(s.f)
	}
	return 0
}

// Uint returns the field key as a uint.
func (t *Trace) Uint(key string) uint { return uintOf(t.lookup(key)) }

func uintOf(v []byte) uint {
	switch s := scalarOf(v); s.kind {
	case protocol.KindUint:
		return uint(s.u)
	case protocol.KindInt:
		return uint(s.i)
	case protocol.KindFloat:
		return uint(s.f)
	}
	return 0
}

// Float returns the field key as a float64: floats and integers.
func (t *Trace) Float(key string) float64 { return floatOf(t.lookup(key)) }

func floatOf(v []byte) float64 {
	switch s := scalarOf(v); s.kind {
	case protocol.KindFloat:
		return s.f
	case protocol.KindInt:
		return float64(s.i)
	case protocol.KindUint:
		return float64(s.u)
	}
	return 0
}

// Str returns the field key as a string: strings and error texts as they
// are, any other value formatted with fmt, "" if missing.
func (t *Trace) Str(key string) string { return strOf(t.lookup(key)) }

func strOf(v []byte) string {
	switch x := decodeOf(v).(type) {
	case nil:
		return ""
	case string:
		return x
	case error:
		return x.Error()
	case []byte:
		return string(x)
	default:
		return fmt.Sprint(x)
	}
}

// Bool returns the field key as a bool.
func (t *Trace) Bool(key string) bool { return boolOf(t.lookup(key)) }

func boolOf(v []byte) bool { return scalarOf(v).kind == protocol.KindTrue }

// Dur returns the field key as a time.Duration: durations, and integers
// taken as nanoseconds.
func (t *Trace) Dur(key string) time.Duration { return durOf(t.lookup(key)) }

func durOf(v []byte) time.Duration {
	switch s := scalarOf(v); s.kind {
	case protocol.KindDuration, protocol.KindInt:
		return time.Duration(s.i)
	case protocol.KindUint:
		return time.Duration(s.u)
	}
	return 0
}

// TimeField returns the field key as a time.Time (not the trace's own
// time, which is t.Time).
func (t *Trace) TimeField(key string) time.Time { return timeOf(t.lookup(key)) }

func timeOf(v []byte) time.Time {
	tm, _ := decodeOf(v).(time.Time)
	return tm
}

// Bytes returns the field key as a []byte: byte slices and strings.
func (t *Trace) Bytes(key string) []byte {
	switch x := t.Get(key).(type) {
	case []byte:
		return x
	case string:
		return []byte(x)
	}
	return nil
}

// Keys returns the trace's field keys in the order they were given, as
// presented to scripts (a "pid" field as "_pid": see Trace).
func (t *Trace) Keys() []string {
	var keys []string
	for f := t.fields; len(f) > 0; {
		k, _, rest, err := protocol.NextField(f)
		if err != nil {
			break
		}
		keys = append(keys, link.PresentKey(string(k)))
		f = rest
	}
	return keys
}

// Fields returns all fields, decoded, keyed as presented to scripts.
func (t *Trace) Fields() map[string]any {
	m := map[string]any{}
	for f := t.fields; len(f) > 0; {
		k, v, rest, err := protocol.NextField(f)
		if err != nil {
			break
		}
		if x, _, err := protocol.DecodeValue(v); err == nil {
			m[link.PresentKey(string(k))] = x
		}
		f = rest
	}
	return m
}

// String formats the trace on one line: time, origin, name and fields,
// e.g. "15:04:05.000 api-1/api/1234 request:end id=7 status=200".
func (t *Trace) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s/%s/%d %s", t.Time.Format("15:04:05.000"), t.Hostname, t.Title, t.PID, t.Name)
	for f := t.fields; len(f) > 0; {
		k, v, rest, err := protocol.NextField(f)
		if err != nil {
			break
		}
		x, _, _ := protocol.DecodeValue(v)
		if s, ok := x.(string); ok {
			fmt.Fprintf(&b, " %s=%q", link.PresentKey(string(k)), s)
		} else {
			fmt.Fprintf(&b, " %s=%v", link.PresentKey(string(k)), x)
		}
		f = rest
	}
	return b.String()
}
