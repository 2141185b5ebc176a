package tracestore

import (
	"errors"
	"strings"
	"testing"
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
