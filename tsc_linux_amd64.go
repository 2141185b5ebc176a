package jstrace

import (
	"os"
	"sync"
)

// rdtsc reads the CPU's time-stamp counter (tsc_linux_amd64.s).
func rdtsc() uint64

// cpuid executes CPUID with eax and ecx (tsc_linux_amd64.s).
func cpuid(eax, ecx uint32) (a, b, c, d uint32)

// tscAvailable reports whether the kernel keeps time with the time-stamp
// counter, which it then has found invariant and synchronised across
// CPUs (it falls back to another clock source when not), and so may we:
// its clock source is "tsc", or, in a KVM guest, "kvm-clock" on a CPU
// whose counter is invariant. kvm-clock is the counter too, scaled by
// parameters the host keeps (and corrects after a migration); it reads it
// directly only while the host guarantees the counter stable across CPUs.
// Where a migration or a restored snapshot makes the counter jump, the
// next rebase (within a second) finds it disagreeing with the monotonic
// clock and it is never used again (see calibrate).
var tscAvailable = sync.OnceValue(func() bool {
	b, err := os.ReadFile("/sys/devices/system/clocksource/clocksource0/current_clocksource")
	return err == nil && tscTrusted(string(b), invariantTSC())
})

// tscTrusted is tscAvailable's rule, for a clock source as sysfs names it
// (with its newline) and whether the CPU says its counter is invariant.
func tscTrusted(source string, invariant bool) bool {
	return source == "tsc\n" || source == "kvm-clock\n" && invariant
}

// invariantTSC reports whether the CPU's time-stamp counter runs at a
// constant rate in every power state (CPUID 80000007H, EDX bit 8).
func invariantTSC() bool {
	if max, _, _, _ := cpuid(0x8000_0000, 0); max < 0x8000_0007 {
		return false
	}
	_, _, _, d := cpuid(0x8000_0007, 0)
	return d&(1<<8) != 0
}
