package jstracesql

import (
	"testing"

	"go.uber.org/goleak"
)

// No goroutine outlives the tests: every DB is closed, and a database/sql
// goroutine left behind (an unclosed DB, rows never closed) fails here.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestCut(t *testing.T) {
	tests := []struct {
		max  int
		in   string
		want string
	}{
		{10, "SELECT 1", "SELECT 1"},
		{8, "SELECT 1", "SELECT 1"},
		{7, "SELECT 1", "SELECT " + CutMarker},
		{3, "aéb", "aé" + CutMarker},                                // é is bytes 1-2: never half a character
		{2, "aéb", "a" + CutMarker},                                 //
		{0, "abc", "" + CutMarker},                                  // a config of 0 cuts all (Options' 0 is the default)
		{-1, "SELECT 1", ""},                                        // no statement
		{4, "\xff\xff\xff\xff\xff", "\xff\xff\xff\xff" + CutMarker}, // bytes that are no UTF-8 still cut
		{2, "\x80\x80\x80", CutMarker},                              // continuation bytes only: nothing whole to keep
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c := &config{maxStatement: tt.max}
			if got := c.cut(tt.in); got != tt.want {
				t.Errorf("cut(%q) at %d = %q, want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
	if got := (Options{}).config().maxStatement; got != DefaultMaxStatement {
		t.Errorf("zero Options cut at %d, want %d", got, DefaultMaxStatement)
	}
}
