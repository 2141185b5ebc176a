package agent

import (
	"runtime"
	"testing"
)

// Totals.MaxCPU defaults to a quarter of the CPUs, at least one CPU and
// at least twice a session's limit.
func TestTotalsDefaultMaxCPU(t *testing.T) {
	quarter := float64(runtime.GOMAXPROCS(0)) / 4
	for _, c := range []struct{ session, want float64 }{
		{0, max(1, quarter)}, // the default session limit, 0.5
		{1.5, max(3, quarter)},
		{0.1, max(1, quarter)},
	} {
		o, err := Options{NoDiscovery: true, Limits: Limits{MaxCPU: c.session}}.resolve()
		if err != nil {
			t.Fatal(err)
		}
		if o.Totals.MaxCPU != c.want {
			t.Errorf("Limits.MaxCPU %v: Totals.MaxCPU %v, want %v", c.session, o.Totals.MaxCPU, c.want)
		}
	}
}
