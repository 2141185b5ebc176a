package jstrace

import (
	"math"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// rdtsc reads the CPU's time-stamp counter (tsc_linux_amd64.s).
func rdtsc() uint64

// cpuid executes CPUID with eax and ecx (tsc_linux_amd64.s).
func cpuid(eax, ecx uint32) (a, b, c, d uint32)

// tscAvailable reports whether the kernel keeps time with the time-stamp
// counter, which it then has found invariant and synchronised across
// CPUs (it falls back to another clock source when not), and so may we:
// its clock source is "tsc", or, in a KVM guest, "kvm-clock" while that
// reads the counter directly. kvm-clock is the counter scaled by
// parameters the host keeps (and corrects after a migration); the vDSO
// reads it in user space only while the host declares the counter stable
// and synchronised across CPUs (PVCLOCK_TSC_STABLE_BIT), every read is a
// system call otherwise (vdsoReadsClock tells them apart), and only on a
// CPU whose counter is invariant. A guest can run on kvm-clock although
// its kernel has marked the counter unstable for a clock source of its
// own (Firecracker's guests boot so, for snapshots restored on other
// hosts): where a restore or a migration makes the counter jump or change
// rate, the next rebase (within a second) finds it disagreeing with the
// monotonic clock and it is never used again (see calibrate); the
// timestamps of that second may be off by the jump.
var tscAvailable = sync.OnceValue(func() bool {
	b, err := os.ReadFile("/sys/devices/system/clocksource/clocksource0/current_clocksource")
	return err == nil && tscTrusted(string(b), invariantTSC, vdsoReadsClock)
})

// tscTrusted is tscAvailable's rule, for a clock source as sysfs names it
// (with its newline); invariant and vdso are asked only for kvm-clock.
func tscTrusted(source string, invariant, vdso func() bool) bool {
	return source == "tsc\n" || source == "kvm-clock\n" && invariant() && vdso()
}

// vdsoReadsClock reports whether the vDSO reads the monotonic clock
// without a system call: the cheapest of 16 reads costs less than half
// the cheapest of 16 clock_gettime system calls, in counter ticks.
func vdsoReadsClock() bool {
	vdso, sys := uint64(math.MaxUint64), uint64(math.MaxUint64)
	base := time.Now()
	var ts syscall.Timespec
	for range 16 {
		a := rdtsc()
		_ = time.Since(base)
		b := rdtsc()
		syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, 1, uintptr(unsafe.Pointer(&ts)), 0) // CLOCK_MONOTONIC
		c := rdtsc()
		vdso, sys = min(vdso, b-a), min(sys, c-b)
	}
	return vdso < sys/2
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
