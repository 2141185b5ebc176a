package jstrace

import (
	"os"
	"regexp"
	"testing"
	"time"
)

func TestTSCTrusted(t *testing.T) {
	yes, no := func() bool { return true }, func() bool { return false }
	for _, c := range []struct {
		source          string
		invariant, vdso func() bool
		want            bool
	}{
		{"tsc\n", yes, yes, true},
		{"tsc\n", no, no, true}, // the kernel checked it: its word is enough
		{"kvm-clock\n", yes, yes, true},
		{"kvm-clock\n", no, yes, false},
		{"kvm-clock\n", yes, no, false}, // the host does not say it is stable
		{"hpet\n", yes, yes, false},
		{"acpi_pm\n", yes, yes, false},
		{"tsc", yes, yes, false}, // not as sysfs writes it
		{"", yes, yes, false},
	} {
		if got := tscTrusted(c.source, c.invariant, c.vdso); got != c.want {
			t.Errorf("tscTrusted(%q, %v, %v) = %v, want %v", c.source, c.invariant(), c.vdso(), got, c.want)
		}
	}
}

// TestVDSOReadsClock: where a read of the monotonic clock is much cheaper
// than a system call (it is everywhere the vDSO serves it, kvm-clock
// included while stable), vdsoReadsClock says so.
func TestVDSOReadsClock(t *testing.T) {
	start := time.Now()
	for range 1000 {
		_ = time.Since(start)
	}
	per := time.Since(start) / 1000
	t.Logf("a clock read: %v; vdsoReadsClock: %v", per, vdsoReadsClock())
	if per < 100*time.Nanosecond && !vdsoReadsClock() {
		t.Errorf("clock reads take %v, yet vdsoReadsClock says they are system calls", per)
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
