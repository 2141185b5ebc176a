package collector

import (
	"time"
	"unicode/utf8"

	"github.com/jstrace-go/jstrace/internal/tracestore"
)

// Reasons a span is rejected, as counted and reported. Constant texts:
// they never quote the input.
const (
	ReasonTraceID      = "bad trace_id"
	ReasonSpanID       = "bad span_id"
	ReasonParentID     = "bad parent_id"
	ReasonSelfParent   = "span is its own parent"
	ReasonDuration     = "bad duration"
	ReasonStart        = "bad start"
	ReasonTags         = "too many tags"
	ReasonLogs         = "too many logs"
	ReasonValue        = "value too long"
	ReasonUTF8         = "invalid utf-8"
	ReasonLine         = "line too long"
	ReasonJSON         = "malformed span"
	ReasonTooMany      = "too many spans"
	ReasonStoreInvalid = "refused by the store"
)

// Unnamed is the operation of a span that came without one.
const Unnamed = "(unnamed)"

// Normalize makes a valid span ready to store: times in UTC, Unnamed for
// an empty operation.
func Normalize(s *tracestore.Span) {
	s.Start = s.Start.UTC()
	for i := range s.Logs {
		s.Logs[i].Time = s.Logs[i].Time.UTC()
	}
	if s.Operation == "" {
		s.Operation = Unnamed
	}
}

// check returns why s must be rejected, "" when it is valid: IDs lowercase
// hex of the right length and not all zero, a parent other than the span
// itself, a non-negative duration, a start after 1970, every string within
// the limits and valid UTF-8.
func check(s *tracestore.Span, l *Limits) string {
	switch {
	case !validID(s.TraceID, 32):
		return ReasonTraceID
	case !validID(s.SpanID, 16):
		return ReasonSpanID
	case s.ParentID != "" && !validID(s.ParentID, 16):
		return ReasonParentID
	case s.ParentID == s.SpanID:
		return ReasonSelfParent
	case s.Duration < 0 || s.Duration > maxDuration:
		return ReasonDuration
	case s.Start.Before(time.Unix(0, 0)) || s.Start.Year() > 9999:
		return ReasonStart
	case len(s.Tags) > l.MaxTags:
		return ReasonTags
	case len(s.Logs) > l.MaxLogs:
		return ReasonLogs
	}
	strs := []string{s.Service, s.Operation, s.Error, s.ErrorType, s.Host}
	for _, t := range s.Tags {
		strs = append(strs, t.Key, t.Value)
	}
	for _, lg := range s.Logs {
		if len(lg.Fields) > l.MaxLogFields {
			return ReasonTags
		}
		strs = append(strs, lg.Message)
		for _, f := range lg.Fields {
			strs = append(strs, f.Key, f.Value)
		}
	}
	for _, v := range strs {
		if len(v) > l.MaxValueBytes {
			return ReasonValue
		}
		if !utf8.ValidString(v) {
			return ReasonUTF8
		}
	}
	return ""
}

// validID reports whether id is n lowercase hex digits, not all zero.
func validID(id string, n int) bool {
	if len(id) != n {
		return false
	}
	zero := true
	for i := 0; i < n; i++ {
		c := id[i]
		switch {
		case c == '0':
		case c >= '1' && c <= '9', c >= 'a' && c <= 'f':
			zero = false
		default:
			return false
		}
	}
	return !zero
}
