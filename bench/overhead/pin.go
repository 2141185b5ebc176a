package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
)

// pinEnv carries the service's CPU into the re-executed program.
const pinEnv = "JSTRACE_OVERHEAD_SERVICE_CPU"

// pinSelf gives the service the last CPU and everything else to this
// program (the load generator) and the jstrace CLI it starts, so that
// neither competes with the service for its core: it re-executes this
// program under taskset on the other CPUs and returns the service's CPU
// there. It returns -1, after saying why, where that cannot be done.
func pinSelf() int {
	if s := os.Getenv(pinEnv); s != "" {
		cpu, err := strconv.Atoi(s)
		if err != nil {
			return -1
		}
		return cpu
	}
	cpus := runtime.NumCPU()
	taskset, err := exec.LookPath("taskset")
	exe, err2 := os.Executable()
	if cpus < 2 || err != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, "overhead: -pin needs taskset and two CPUs; running unpinned")
		return -1
	}
	args := append([]string{taskset, "-c", fmt.Sprintf("0-%d", cpus-2), exe}, os.Args[1:]...)
	env := append(os.Environ(), fmt.Sprintf("%s=%d", pinEnv, cpus-1))
	err = syscall.Exec(taskset, args, env)
	fmt.Fprintln(os.Stderr, "overhead: -pin:", err, "; running unpinned")
	return -1
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
