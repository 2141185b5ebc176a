package protocol

import (
	"errors"
	"testing"
)

// TestReviewFlightBounds: a Flight announcing more record bytes than a
// recorder can hold is malformed. The CLI grows its buffer with what
// arrives up to Bytes: unchecked, a compromised agent announcing 2^60
// bytes could stream until the CLI's memory ran out (SECURITY.md: an
// agent must not exhaust the CLI's memory).
func TestReviewFlightBounds(t *testing.T) {
	for _, tt := range []struct {
		name string
		m    Flight
		ok   bool
	}{
		{"full recorder", Flight{Size: MaxFlightSize, Records: 1, Bytes: MaxFlightSize}, true},
		{"bytes over size", Flight{Size: 64 << 10, Records: 1, Bytes: 64<<10 + 1}, false},
		{"size over the maximum", Flight{Size: 1 << 60, Records: 1, Bytes: 1 << 60}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got Flight
			err := got.Decode(tt.m.Append(nil))
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, ErrMalformed)) {
				t.Fatalf("Decode = %v, want ok=%v (or ErrMalformed)", err, tt.ok)
			}
		})
	}
}
