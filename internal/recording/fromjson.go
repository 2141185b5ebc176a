package recording

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

// recordLine is a record's line, or the end line (End set).
type recordLine struct {
	Time   string          `json:"time"`
	Host   string          `json:"host"`
	Title  string          `json:"title"`
	PID    int             `json:"pid"`
	Probe  *string         `json:"probe"`
	Emit   bool            `json:"emit"`
	Fields json.RawMessage `json:"fields"`
	End    *Trailer        `json:"end"`
}

// parseRecord builds the wire event record of a record's line, appending
// it to dst[:0].
func parseRecord(dst []byte, l *recordLine) ([]byte, error) {
	if l.Probe == nil {
		return nil, errors.New(`no "probe"`)
	}
	ts, err := parseTime(l.Time)
	if err != nil {
		return nil, fmt.Errorf(`"time": %w`, err)
	}
	kind := protocol.RecordEvent
	if l.Emit {
		kind = protocol.RecordEmit
	}
	dst = append(dst[:0], byte(kind))
	dst = appendString(dst, *l.Probe)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(ts))
	if len(l.Fields) == 0 || string(l.Fields) == "null" {
		return dst, nil
	}
	d := json.NewDecoder(bytes.NewReader(l.Fields))
	d.UseNumber()
	p := parser{d: d, dst: dst}
	p.delim('{')
	for p.err == nil && d.More() {
		p.dst = appendString(p.dst, p.str("field key"))
		p.value(0)
	}
	p.delim('}')
	if p.err != nil {
		return nil, fmt.Errorf(`"fields": %w`, p.err)
	}
	return p.dst, nil
}

// parseTime parses a time of the recording: RFC 3339 within int64
// nanoseconds since the Unix epoch.
func parseTime(s string) (int64, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, err
	}
	ns := t.UnixNano()
	if !time.Unix(0, ns).Equal(t) {
		return 0, fmt.Errorf("%s is out of range", s)
	}
	return ns, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// parser turns typed JSON values into wire values token by token, so that
// a list of a million elements costs no slice of a million elements. It
// keeps the first error; once set, its methods do nothing.
type parser struct {
	d   *json.Decoder
	dst []byte
	err error
}

func (p *parser) fail(format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf(format, args...)
	}
}

func (p *parser) token() json.Token {
	if p.err != nil {
		return nil
	}
	t, err := p.d.Token()
	if err != nil {
		p.fail("%v", err)
		return nil
	}
	return t
}

func (p *parser) delim(want json.Delim) {
	if t := p.token(); p.err == nil && t != want {
		p.fail("want %q, have %v", want, t)
	}
}

func (p *parser) str(what string) string {
	t := p.token()
	s, ok := t.(string)
	if !ok {
		p.fail("%s: want a string, have %v", what, t)
	}
	return s
}

func (p *parser) number(what string) string {
	t := p.token()
	n, ok := t.(json.Number)
	if !ok {
		p.fail("%s: want a number, have %v", what, t)
	}
	return string(n)
}

// value appends one typed value: {"kind": payload}.
func (p *parser) value(depth int) {
	if depth > MaxDepth {
		p.fail("values nested deeper than %d", MaxDepth)
	}
	p.delim('{')
	kind := p.str("value kind")
	if p.err != nil {
		return
	}
	p.payload(kind, depth)
	p.delim('}')
	if p.err == nil && len(p.dst) > MaxRecordBytes {
		p.fail("record larger than %d bytes", MaxRecordBytes)
	}
}

func (p *parser) payload(kind string, depth int) {
	k := protocol.Kind(0)
	switch kind {
	case "nil":
		if t := p.token(); p.err == nil && t != nil {
			p.fail("nil: want null, have %v", t)
		}
		p.dst = append(p.dst, byte(protocol.KindNil))
	case "bool":
		t := p.token()
		b, ok := t.(bool)
		if !ok {
			p.fail("bool: want true or false, have %v", t)
		}
		k = protocol.KindFalse
		if b {
			k = protocol.KindTrue
		}
		p.dst = append(p.dst, byte(k))
	case "int", "duration":
		v, err := strconv.ParseInt(p.number(kind), 10, 64)
		if err != nil {
			p.fail("%s: %v", kind, err)
		}
		k = protocol.KindInt
		if kind == "duration" {
			k = protocol.KindDuration
		}
		p.dst = binary.AppendVarint(append(p.dst, byte(k)), v)
	case "uint":
		v, err := strconv.ParseUint(p.number(kind), 10, 64)
		if err != nil {
			p.fail("uint: %v", err)
		}
		p.dst = binary.AppendUvarint(append(p.dst, byte(protocol.KindUint)), v)
	case "float":
		p.float()
	case "string", "error":
		k = protocol.KindString
		if kind == "error" {
			k = protocol.KindError
		}
		p.dst = appendString(append(p.dst, byte(k)), p.str(kind))
	case "bytes":
		b, err := base64.StdEncoding.DecodeString(p.str(kind))
		if err != nil {
			p.fail("bytes: %v", err)
		}
		p.dst = append(p.dst, byte(protocol.KindBytes))
		p.dst = append(binary.AppendUvarint(p.dst, uint64(len(b))), b...)
	case "time":
		ns, err := parseTime(p.str(kind))
		if err != nil && p.err == nil {
			p.fail("time: %v", err)
		}
		p.dst = binary.AppendVarint(append(p.dst, byte(protocol.KindTime)), ns)
	case "list", "map":
		p.list(kind == "map", depth)
	default:
		p.fail("unknown value kind %q", kind)
	}
}

func (p *parser) float() {
	var f float64
	var err error
	switch t := p.token(); x := t.(type) {
	case json.Number:
		f, err = strconv.ParseFloat(string(x), 64)
	case string:
		if f, err = strconv.ParseFloat(x, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			err = fmt.Errorf("%q: only NaN, +Inf and -Inf are strings", x)
		}
	default:
		err = fmt.Errorf("want a number, have %v", t)
	}
	if err != nil {
		p.fail("float: %v", err)
	}
	p.dst = binary.LittleEndian.AppendUint64(append(p.dst, byte(protocol.KindFloat)), math.Float64bits(f))
}

// list appends a list, or a map (a list of [key, value] pairs). The count
// comes first on the wire: it is patched in once known.
func (p *parser) list(isMap bool, depth int) {
	k := protocol.KindList
	if isMap {
		k = protocol.KindMap
	}
	start := len(p.dst)
	p.dst = append(p.dst, byte(k))
	p.delim('[')
	body := len(p.dst)
	n := uint64(0)
	for p.err == nil && p.d.More() {
		if isMap {
			p.delim('[')
			p.value(depth + 1)
			p.value(depth + 1)
			p.delim(']')
		} else {
			p.value(depth + 1)
		}
		n++
	}
	p.delim(']')
	if p.err != nil {
		return
	}
	elems := bytes.Clone(p.dst[body:])
	p.dst = append(binary.AppendUvarint(p.dst[:start+1], n), elems...)
}
