package jstrace

import "strings"

// The decoders of propagation headers: W3C traceparent and tracestate,
// and the IDs of the X-Trace-ID style. Every one of them validates the
// whole value and returns nothing of a value it refuses, so what came
// in malformed is never sent on.

// traceparentLen is the length of a version 00 traceparent:
// "00-" trace-id(32) "-" parent-id(16) "-" flags(2).
const traceparentLen = 55

// parseTraceparent decodes a W3C traceparent. It accepts version 00 of
// exactly 55 characters and, as the specification asks of a receiver, any
// later version (not ff) whose first 55 characters have version 00's form,
// followed by nothing or by "-" and whatever that version adds. Hex
// digits must be lowercase, as the specification requires; IDs all zero
// are refused.
func parseTraceparent(s string) (t TraceID, id SpanID, sampled, ok bool) {
	if len(s) < traceparentLen || s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return
	}
	if !isLowerHex(s[0:2]) || !isLowerHex(s[53:55]) || !isLowerHex(s[3:35]) || !isLowerHex(s[36:52]) {
		return
	}
	switch {
	case s[0:2] == "ff":
		return
	case s[0:2] == "00" && len(s) != traceparentLen:
		return
	case len(s) > traceparentLen && s[traceparentLen] != '-':
		return
	}
	var err1, err2 error
	t, err1 = ParseTraceID(s[3:35])
	id, err2 = ParseSpanID(s[36:52])
	if err1 != nil || err2 != nil {
		return TraceID{}, SpanID{}, false, false
	}
	flags, _ := unhex(s[54])
	return t, id, flags&1 != 0, true
}

// appendTraceparent appends the version 00 traceparent of a span.
func appendTraceparent(b []byte, t TraceID, id SpanID, sampled bool) []byte {
	b = append(b, "00-"...)
	b = appendHex(b, t[:])
	b = append(b, '-')
	b = appendHex(b, id[:])
	if sampled {
		return append(b, "-01"...)
	}
	return append(b, "-00"...)
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// parseXTraceID decodes an X-Trace-ID: 32 hex digits in either case, or
// the same in a UUID's 8-4-4-4-12 form. All zero is refused.
func parseXTraceID(s string) (TraceID, bool) {
	if len(s) == 36 {
		if s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
			return TraceID{}, false
		}
		var b [32]byte
		copy(b[0:8], s[0:8])
		copy(b[8:12], s[9:13])
		copy(b[12:16], s[14:18])
		copy(b[16:20], s[19:23])
		copy(b[20:32], s[24:36])
		t, err := ParseTraceID(stackString(b[:]))
		return t, err == nil
	}
	t, err := ParseTraceID(s)
	return t, err == nil
}

// Bounds of a tracestate, from the W3C specification: a receiver must
// handle 512 characters and 32 members; beyond them this package drops
// the whole value.
const (
	maxTraceStateLen     = 512
	maxTraceStateMembers = 32
)

// cleanTraceState returns the W3C tracestate s without optional white
// space and empty members, or "" if s is over the bounds, has a member
// that is not a valid key=value, or a key twice: a tracestate is opaque
// to jstrace, so one it cannot vouch for is dropped whole rather than
// edited. A value already clean is returned as is, without allocating.
func cleanTraceState(s string) string {
	if s == "" || len(s) > maxTraceStateLen {
		return ""
	}
	var keys [maxTraceStateMembers]string
	n, clean := 0, true
	for rest := s; ; {
		member, more, found := strings.Cut(rest, ",")
		trimmed := strings.Trim(member, " \t")
		if trimmed != member {
			clean = false
		}
		if trimmed == "" {
			clean = false
		} else {
			key, ok := traceStateMember(trimmed)
			if !ok || n == maxTraceStateMembers {
				return ""
			}
			for _, k := range keys[:n] {
				if k == key {
					return ""
				}
			}
			keys[n] = key
			n++
		}
		if !found {
			break
		}
		rest = more
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for rest := s; rest != ""; {
		member, more, _ := strings.Cut(rest, ",")
		if m := strings.Trim(member, " \t"); m != "" {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(m)
		}
		rest = more
	}
	return b.String()
}

// traceStateMember validates one key=value member and returns its key.
// Keys: a simple key (a lowercase letter then up to 255 of a-z 0-9 _ - * /)
// or a multi-tenant one, tenant@system (a tenant of a letter or digit then
// up to 240 of those; a system of a letter then up to 13). Values: 1 to 256
// printable ASCII characters but ',' and '=', the last not a space.
func traceStateMember(m string) (string, bool) {
	key, value, ok := strings.Cut(m, "=")
	if !ok || !validTraceStateValue(value) {
		return "", false
	}
	if tenant, system, multi := strings.Cut(key, "@"); multi {
		return key, keyPart(tenant, 241, true) && keyPart(system, 14, false)
	}
	return key, keyPart(key, 256, false)
}

// keyPart validates a tracestate key or a part of one: 1 to max
// characters of a-z 0-9 _ - * /, the first a letter (or a digit if
// digitFirst).
func keyPart(s string, max int, digitFirst bool) bool {
	if s == "" || len(s) > max {
		return false
	}
	if c := s[0]; (c < 'a' || c > 'z') && (!digitFirst || c < '0' || c > '9') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' && c != '-' && c != '*' && c != '/' {
			return false
		}
	}
	return true
}

func validTraceStateValue(v string) bool {
	if v == "" || len(v) > 256 || v[len(v)-1] == ' ' {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c > 0x7e || c == ',' || c == '=' {
			return false
		}
	}
	return true
}
