package script

import (
	"math"
	"testing"
)

// TestMinfMaxf: minf and maxf are math.Min and math.Max, bit for bit,
// for every value an aggregation counts (no NaN), signed zeros included.
func TestMinfMaxf(t *testing.T) {
	vals := []float64{math.Copysign(0, -1), 0, -1, 1, 2.5, -2.5, math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, math.Inf(1), math.Inf(-1)}
	for _, x := range vals {
		for _, y := range vals {
			if got, want := minf(x, y), math.Min(x, y); math.Float64bits(got) != math.Float64bits(want) {
				t.Errorf("minf(%v, %v) = %v, math.Min %v", x, y, got, want)
			}
			if got, want := maxf(x, y), math.Max(x, y); math.Float64bits(got) != math.Float64bits(want) {
				t.Errorf("maxf(%v, %v) = %v, math.Max %v", x, y, got, want)
			}
		}
	}
}
