package tracestore

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// appendSpanJSON appends sp as encoding/json would encode it (same field
// names and omissions; the text may differ, the value decoded does not):
// the Redis store encodes every span it puts, and reflection was a third
// of its client's time. FuzzSpanJSON checks it against encoding/json.
func appendSpanJSON(b []byte, sp *Span) ([]byte, error) {
	b = append(b, `{"trace_id":`...)
	b = appendJSONString(b, sp.TraceID)
	b = append(b, `,"span_id":`...)
	b = appendJSONString(b, sp.SpanID)
	if sp.ParentID != "" {
		b = append(b, `,"parent_id":`...)
		b = appendJSONString(b, sp.ParentID)
	}
	b = append(b, `,"service":`...)
	b = appendJSONString(b, sp.Service)
	b = append(b, `,"operation":`...)
	b = appendJSONString(b, sp.Operation)
	b = append(b, `,"start":`...)
	b, err := appendJSONTime(b, sp.Start)
	if err != nil {
		return nil, err
	}
	b = append(b, `,"duration_ns":`...)
	b = strconv.AppendInt(b, int64(sp.Duration), 10)
	for _, f := range [...]struct{ name, v string }{{"error", sp.Error}, {"error_type", sp.ErrorType}, {"host", sp.Host}} {
		if f.v != "" {
			b = append(b, `,"`...)
			b = append(b, f.name...)
			b = append(b, `":`...)
			b = appendJSONString(b, f.v)
		}
	}
	if len(sp.Tags) > 0 {
		b = append(b, `,"tags":`...)
		b = appendJSONTags(b, sp.Tags)
	}
	if len(sp.Logs) > 0 {
		b = append(b, `,"logs":[`...)
		for i := range sp.Logs {
			l := &sp.Logs[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"time":`...)
			if b, err = appendJSONTime(b, l.Time); err != nil {
				return nil, err
			}
			b = append(b, `,"message":`...)
			b = appendJSONString(b, l.Message)
			if len(l.Fields) > 0 {
				b = append(b, `,"fields":`...)
				b = appendJSONTags(b, l.Fields)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

func appendJSONTags(b []byte, tags []Tag) []byte {
	b = append(b, '[')
	for i, t := range tags {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"key":`...)
		b = appendJSONString(b, t.Key)
		b = append(b, `,"value":`...)
		b = appendJSONString(b, t.Value)
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendJSONTime appends t as time.Time's MarshalJSON does, failing as it
// does for a year outside [0, 9999].
func appendJSONTime(b []byte, t time.Time) ([]byte, error) {
	if y := t.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("time %v: year outside of range [0,9999]", y)
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted for JSON: control characters, quotes
// and backslashes escaped, invalid UTF-8 replaced by U+FFFD (as
// encoding/json does), U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
