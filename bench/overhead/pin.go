package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// pinEnv carries the service's CPU into the re-executed program.
const pinEnv = "JSTRACE_OVERHEAD_SERVICE_CPU"

// pinSelf gives the service the last CPU this program may use and the
// others to this program (the load generator) and the jstrace CLI it
// starts, so that neither competes with the service for its core: it
// re-executes this program under taskset on the other CPUs and returns the
// service's CPU there. It returns -1, after saying why, where that cannot
// be done.
func pinSelf() int {
	if s := os.Getenv(pinEnv); s != "" {
		cpu, err := strconv.Atoi(s)
		if err != nil {
			return -1
		}
		return cpu
	}
	cpus := allowedCPUs()
	taskset, err := exec.LookPath("taskset")
	exe, err2 := os.Executable()
	if len(cpus) < 2 || err != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, "overhead: -pin needs taskset and two CPUs; running unpinned")
		return -1
	}
	service := cpus[len(cpus)-1]
	var others []string
	for _, c := range cpus[:len(cpus)-1] {
		others = append(others, strconv.Itoa(c))
	}
	list := strings.Join(others, ",")
	for _, l := range []string{list, strconv.Itoa(service)} {
		if out, err := exec.Command(taskset, "-c", l, "true").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "overhead: -pin: taskset -c %s: %v %s; running unpinned\n", l, err, out)
			return -1
		}
	}
	args := append([]string{taskset, "-c", list, exe}, os.Args[1:]...)
	env := append(os.Environ(), fmt.Sprintf("%s=%d", pinEnv, service))
	err = syscall.Exec(taskset, args, env)
	fmt.Fprintln(os.Stderr, "overhead: -pin:", err, "; running unpinned")
	return -1
}

// allowedCPUs returns the CPUs this process may run on, from
// /proc/self/status (a container's may not start at 0), or 0..NumCPU-1.
func allowedCPUs() []int {
	var cpus []int
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		list, ok := strings.CutPrefix(line, "Cpus_allowed_list:")
		if !ok {
			continue
		}
		for _, r := range strings.Split(strings.TrimSpace(list), ",") {
			lo, hi, isRange := strings.Cut(r, "-")
			a, err := strconv.Atoi(lo)
			if err != nil {
				return nil
			}
			b := a
			if isRange {
				if b, err = strconv.Atoi(hi); err != nil {
					return nil
				}
			}
			for c := a; c <= b; c++ {
				cpus = append(cpus, c)
			}
		}
		return cpus
	}
	for c := range runtime.NumCPU() {
		cpus = append(cpus, c)
	}
	return cpus
}

// pinned returns cmd run under taskset on cpu, or cmd itself if cpu < 0.
func pinned(cmd *exec.Cmd, cpu int) *exec.Cmd {
	taskset, err := exec.LookPath("taskset")
	if cpu < 0 || err != nil {
		return cmd
	}
	c := exec.Command(taskset, append([]string{"-c", strconv.Itoa(cpu)}, cmd.Args...)...)
	c.Env = cmd.Env
	return c
}
