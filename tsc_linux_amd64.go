package jstrace

import (
	"os"
	"sync"
)

// rdtsc reads the CPU's time-stamp counter (tsc_amd64.s).
func rdtsc() uint64

// tscAvailable reports whether the kernel keeps time with the time-stamp
// counter: it then has found it invariant and synchronised across CPUs
// (it falls back to another clock source when not), and so may we.
var tscAvailable = sync.OnceValue(func() bool {
	b, err := os.ReadFile("/sys/devices/system/clocksource/clocksource0/current_clocksource")
	return err == nil && string(b) == "tsc\n"
})
