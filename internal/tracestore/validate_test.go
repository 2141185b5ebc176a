package tracestore

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	good := Span{TraceID: strings.Repeat("ab", 16), SpanID: "00000000000000f1", ParentID: "00000000000000f0"}
	tests := []struct {
		name string
		edit func(*Span)
		ok   bool
	}{
		{"good", func(*Span) {}, true},
		{"root", func(s *Span) { s.ParentID = "" }, true},
		{"short trace id", func(s *Span) { s.TraceID = s.TraceID[1:] }, false},
		{"upper trace id", func(s *Span) { s.TraceID = strings.ToUpper(s.TraceID) }, false},
		{"zero trace id", func(s *Span) { s.TraceID = strings.Repeat("0", 32) }, false},
		{"non-hex span id", func(s *Span) { s.SpanID = "00000000000000g1" }, false},
		{"zero span id", func(s *Span) { s.SpanID = strings.Repeat("0", 16) }, false},
		{"long parent id", func(s *Span) { s.ParentID += "0" }, false},
		{"negative duration", func(s *Span) { s.Duration = -1 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := good
			tt.edit(&s)
			err := s.Validate()
			if tt.ok != (err == nil) {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate() = %v, want it to wrap ErrInvalid", err)
			}
		})
	}
}

// FuzzValidate checks Validate on IDs from outside (a collector's input)
// against the rule spelled out: never a panic, and ok exactly for
// lowercase hex of the right length, not all zero.
func FuzzValidate(f *testing.F) {
	f.Add(strings.Repeat("ab", 16), "00000000000000f1", "", int64(0))
	f.Add(strings.Repeat("0", 32), "0000000000000000", "x", int64(-1))
	f.Add("ÀBCD", "é", "00000000000000f0", int64(1))
	f.Fuzz(func(t *testing.T, trace, span, parent string, d int64) {
		s := Span{TraceID: trace, SpanID: span, ParentID: parent, Duration: time.Duration(d)}
		want := ref(trace, 32) && ref(span, 16) && (parent == "" || ref(parent, 16)) && d >= 0
		if err := s.Validate(); (err == nil) != want {
			t.Fatalf("Validate(%q, %q, %q, %d) = %v, want ok=%v", trace, span, parent, d, err, want)
		}
	})
}

var hexRE = regexp.MustCompile(`^[0-9a-f]+$`)

// ref is the rule for an ID of n digits, written another way.
func ref(id string, n int) bool {
	return len(id) == n && hexRE.MatchString(id) && strings.Trim(id, "0") != ""
}
