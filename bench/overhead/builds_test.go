package main

import (
	"math"
	"testing"
)

// A run crossed over reads the same builds the other way round: its ratio
// is inverted, not negated (+5 % one way is −4.76 % the other).
func TestCrossed(t *testing.T) {
	for _, c := range []struct{ x, want float64 }{
		{0, 0}, {0.05, -0.05 / 1.05}, {-0.2, 0.25}, {1, -0.5},
	} {
		if got := crossed(c.x); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("crossed(%v) = %v, want %v", c.x, got, c.want)
		}
		if got := crossed(crossed(c.x)); math.Abs(got-c.x) > 1e-12 {
			t.Errorf("crossed twice of %v = %v", c.x, got)
		}
	}
}
