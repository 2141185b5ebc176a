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
	Time   string
	Host   string
	Title  string
	PID    int
	Probe  *string
	Emit   bool
	Fields []byte // the JSON of the fields, nil if none
	End    *Trailer
}

// parseLine parses a line after the header: its members, in any order,
// those it does not know skipped (the last of a repeated one counts, as
// with encoding/json).
func parseLine(line []byte) (*recordLine, error) {
	var l recordLine
	s := scanner{b: line}
	s.delim('{')
	for first := true; s.more('}', first); first = false {
		key := s.str()
		s.delim(':')
		if s.err != nil {
			break
		}
		switch key {
		case "time":
			l.Time = s.str()
		case "host":
			l.Host = s.str()
		case "title":
			l.Title = s.str()
		case "probe":
			probe := s.str()
			l.Probe = &probe
		case "pid":
			n, err := strconv.Atoi(s.number())
			if err != nil && s.err == nil {
				s.fail(`"pid": %v`, err)
			}
			l.PID = n
		case "emit":
			switch w := s.literal(); w {
			case "true", "false":
				l.Emit = w == "true"
			default:
				s.fail(`"emit": want true or false, have %s`, w)
			}
		case "fields":
			if l.Fields = s.skip(0); string(l.Fields) == "null" {
				l.Fields = nil
			}
		case "end":
			var end Trailer
			if err := json.Unmarshal(s.skip(0), &end); err != nil && s.err == nil {
				s.fail(`"end": %v`, err)
			}
			l.End = &end
		default:
			s.skip(0)
		}
	}
	s.delim('}')
	s.end()
	if s.err != nil {
		return nil, s.err
	}
	return &l, nil
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
	if l.Fields == nil {
		return dst, nil
	}
	p := parser{s: scanner{b: l.Fields}, dst: dst}
	p.s.delim('{')
	for first := true; p.s.more('}', first); first = false {
		p.dst = appendString(p.dst, p.s.str())
		p.s.delim(':')
		p.value(0)
	}
	p.s.delim('}')
	p.s.end()
	if err := p.error(); err != nil {
		return nil, fmt.Errorf(`"fields": %w`, err)
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

// parser turns typed JSON values into wire values as it scans them, so
// that a list of a million elements costs no slice of a million elements.
// It keeps the first error, its scanner's or its own, in the scanner;
// once set, its methods do nothing that matters.
type parser struct {
	s   scanner
	dst []byte
}

func (p *parser) fail(format string, args ...any) {
	if p.s.err == nil {
		p.s.err = fmt.Errorf(format, args...)
	}
}

func (p *parser) error() error { return p.s.err }

func (p *parser) ok() bool { return p.s.err == nil }

// value appends one typed value: {"kind": payload}.
func (p *parser) value(depth int) {
	if depth > MaxDepth {
		p.fail("values nested deeper than %d", MaxDepth)
		return
	}
	p.s.delim('{')
	kind := p.s.str()
	p.s.delim(':')
	if !p.ok() {
		return
	}
	p.payload(kind, depth)
	p.s.delim('}')
	if p.ok() && len(p.dst) > MaxRecordBytes {
		p.fail("record larger than %d bytes", MaxRecordBytes)
	}
}

func (p *parser) payload(kind string, depth int) {
	switch kind {
	case "nil":
		if w := p.s.literal(); p.ok() && w != "null" {
			p.fail("nil: want null, have %s", w)
		}
		p.dst = append(p.dst, byte(protocol.KindNil))
	case "bool":
		k := protocol.KindFalse
		switch w := p.s.literal(); w {
		case "true":
			k = protocol.KindTrue
		case "false":
		default:
			p.fail("bool: want true or false, have %s", w)
		}
		p.dst = append(p.dst, byte(k))
	case "int", "duration":
		v, err := strconv.ParseInt(p.s.number(), 10, 64)
		if err != nil {
			p.fail("%s: %v", kind, err)
		}
		k := protocol.KindInt
		if kind == "duration" {
			k = protocol.KindDuration
		}
		p.dst = binary.AppendVarint(append(p.dst, byte(k)), v)
	case "uint":
		v, err := strconv.ParseUint(p.s.number(), 10, 64)
		if err != nil {
			p.fail("uint: %v", err)
		}
		p.dst = binary.AppendUvarint(append(p.dst, byte(protocol.KindUint)), v)
	case "float":
		p.float()
	case "string", "error":
		k := protocol.KindString
		if kind == "error" {
			k = protocol.KindError
		}
		p.dst = appendString(append(p.dst, byte(k)), p.s.str())
	case "bytes":
		b, err := base64.StdEncoding.DecodeString(p.s.str())
		if err != nil {
			p.fail("bytes: %v", err)
		}
		p.dst = append(p.dst, byte(protocol.KindBytes))
		p.dst = append(binary.AppendUvarint(p.dst, uint64(len(b))), b...)
	case "time":
		ns, err := parseTime(p.s.str())
		if err != nil {
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
	if p.s.isString() {
		x := p.s.str()
		if f, err = strconv.ParseFloat(x, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			err = fmt.Errorf("%q: only NaN, +Inf and -Inf are strings", x)
		}
	} else {
		f, err = strconv.ParseFloat(p.s.number(), 64)
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
	p.s.delim('[')
	body := len(p.dst)
	n := uint64(0)
	for first := true; p.ok() && p.s.more(']', first); first = false {
		if isMap {
			p.s.delim('[')
			p.value(depth + 1)
			p.s.delim(',')
			p.value(depth + 1)
			p.s.delim(']')
		} else {
			p.value(depth + 1)
		}
		n++
	}
	p.s.delim(']')
	if !p.ok() {
		return
	}
	elems := bytes.Clone(p.dst[body:])
	p.dst = append(binary.AppendUvarint(p.dst[:start+1], n), elems...)
}
