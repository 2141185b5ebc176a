package tracestore

import "fmt"

// Validate reports, wrapping ErrInvalid, why a span cannot be stored: a
// trace ID that is not 32 lowercase hex digits or is all zero, a span ID
// that is not 16 lowercase hex digits or is all zero, a parent ID that is
// neither "" nor a valid span ID, or a negative duration. Both stores call
// it on every span of a batch before storing any.
func (s *Span) Validate() error {
	switch {
	case !hexID(s.TraceID, 32):
		return fmt.Errorf("%w: trace id %.40q: want 32 lowercase hex digits, not all zero", ErrInvalid, s.TraceID)
	case !hexID(s.SpanID, 16):
		return fmt.Errorf("%w: span id %.40q of trace %s: want 16 lowercase hex digits, not all zero", ErrInvalid, s.SpanID, s.TraceID)
	case s.ParentID != "" && !hexID(s.ParentID, 16):
		return fmt.Errorf("%w: parent id %.40q of span %s: want \"\" or 16 lowercase hex digits", ErrInvalid, s.ParentID, s.SpanID)
	case s.Duration < 0:
		return fmt.Errorf("%w: span %s: negative duration %v", ErrInvalid, s.SpanID, s.Duration)
	}
	return nil
}

// ValidTraceID reports whether id is a trace ID a store can hold.
func ValidTraceID(id string) bool { return hexID(id, 32) }

// hexID reports whether s is n lowercase hex digits, not all zero.
func hexID(s string, n int) bool {
	if len(s) != n {
		return false
	}
	zero := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '0':
		case '1' <= c && c <= '9', 'a' <= c && c <= 'f':
			zero = false
		default:
			return false
		}
	}
	return !zero
}
