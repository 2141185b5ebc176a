package jstrace

import (
	"os"
	"regexp"
	"testing"
)

func TestTSCTrusted(t *testing.T) {
	for _, c := range []struct {
		source    string
		invariant bool
		want      bool
	}{
		{"tsc\n", true, true},
		{"tsc\n", false, true}, // the kernel checked it: its word is enough
		{"kvm-clock\n", true, true},
		{"kvm-clock\n", false, false},
		{"hpet\n", true, false},
		{"acpi_pm\n", true, false},
		{"tsc", true, false}, // not as sysfs writes it
		{"", true, false},
	} {
		if got := tscTrusted(c.source, c.invariant); got != c.want {
			t.Errorf("tscTrusted(%q, %v) = %v, want %v", c.source, c.invariant, got, c.want)
		}
	}
}

// TestInvariantTSCAsTheKernelSays reads CPUID's invariant-TSC bit against
// the flag the kernel derives from it in /proc/cpuinfo.
func TestInvariantTSCAsTheKernelSays(t *testing.T) {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skip(err)
	}
	flags := regexp.MustCompile(`(?m)^flags\s*:.*$`).Find(b)
	if flags == nil {
		t.Skip("no flags line in /proc/cpuinfo")
	}
	kernel := regexp.MustCompile(`\bnonstop_tsc\b`).Match(flags)
	if got := invariantTSC(); got != kernel {
		t.Errorf("invariantTSC() = %v, /proc/cpuinfo nonstop_tsc %v", got, kernel)
	}
}
