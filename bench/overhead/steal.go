package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"time"
)

// stealOf returns the time the hypervisor has kept virtual CPU cpu from
// running while it had work (the steal column of /proc/stat), or −1
// where it cannot be read (no such CPU, not Linux). On a shared virtual
// machine it is part of what the machine's slow phases are made of
// (bench/README.md, "The machine's phases").
func stealOf(cpu int) time.Duration {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return -1
	}
	defer f.Close()
	want := fmt.Sprintf("cpu%d ", cpu)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, want) {
			continue
		}
		// cpuN user nice system idle iowait irq softirq steal ...
		fields := strings.Fields(line)
		if len(fields) < 9 {
			return -1
		}
		var ticks int64
		if _, err := fmt.Sscan(fields[8], &ticks); err != nil {
			return -1
		}
		return time.Duration(ticks) * 10 * time.Millisecond // USER_HZ is 100
	}
	return -1
}

// stealShare is the share of d that cpu's steal grew by since s0 (a
// stealOf reading), or −1 if either reading failed.
func stealShare(cpu int, s0 time.Duration, d time.Duration) float64 {
	s1 := stealOf(cpu)
	if s0 < 0 || s1 < 0 || d <= 0 {
		return -1
	}
	return float64(s1-s0) / float64(d)
}

// stealString formats a stealShare for a run's line: "" if unknown.
func stealString(share float64) string {
	if share < 0 {
		return ""
	}
	return fmt.Sprintf(", steal %.0f%%", 100*share)
}
