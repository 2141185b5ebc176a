package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Attach at scale: one jstrace run against 1,000 agents hosted by several
// harness processes (bench/manyagents), each agent with its own listener
// and discovery file, as 1,000 services of a machine would be.

// mergedScript's Local prints "merged N" once the first event of every
// one of the N agents (its argument) has arrived: the first merged result
// is the moment the CLI has heard from every agent.
const mergedScript = `package main

import (
	"fmt"
	"strconv"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	traces.Emit("hello", "from", "remote")
}

func Local(traces *script.Traces) {
	want, _ := strconv.Atoi(traces.Args()[0])
	n := 0
	traces.On("hello", func(t *script.Trace) {
		n++
		if n == want {
			fmt.Println("merged", n)
		}
	})
}
`

// benchmarkAttachMany: procs harness processes of perProc agents each; the
// real jstrace binary, found by -t glob, from exec to "merged N" printed.
// Reported: the mean time to that line, the CLI's CPU (user+system, from
// its rusage) and its peak RSS at that line (timeMerged), and the harness
// processes' CPU over the same runs (each run lasts until the CLI has
// exited).
func benchmarkAttachMany(b *testing.B, procs, perProc int) {
	bin := buildCLI(b)
	harness := filepath.Join(b.TempDir(), "manyagents")
	build := exec.Command("go", "build", "-o", harness, "./manyagents")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		b.Fatal(err)
	}
	runDir := filepath.Join(b.TempDir(), "run")
	var hosts []*exec.Cmd
	defer func() {
		for _, h := range hosts {
			h.Process.Signal(os.Interrupt)
			h.Wait()
		}
	}()
	for p := range procs {
		h := exec.Command(harness, "-n", strconv.Itoa(perProc), "-prefix", fmt.Sprintf("many-%d", p), "-run", runDir)
		out, _ := h.StdoutPipe()
		h.Stderr = os.Stderr
		if err := h.Start(); err != nil {
			b.Fatal(err)
		}
		hosts = append(hosts, h)
		if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
			b.Fatalf("harness %d: %q, %v", p, line, err)
		}
	}
	n := procs * perProc
	script := filepath.Join(b.TempDir(), "merged.go")
	os.WriteFile(script, []byte(mergedScript), 0o600)
	b.ResetTimer()
	var total, cliCPU, agentsCPU time.Duration
	var maxRSS, cliFaults, agentsFaults int64
	for i := 0; i < b.N; i++ {
		before, faults := processesCPU(b, hosts)
		d, ru, rss := timeMerged(b, bin, runDir, script, n)
		after, faultsAfter := processesCPU(b, hosts)
		agentsCPU += after - before
		agentsFaults += faultsAfter - faults
		total += d
		cliCPU += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		cliFaults += ru.Minflt
		maxRSS = max(maxRSS, rss)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/first-merged")
	b.ReportMetric(float64(cliCPU.Milliseconds())/float64(b.N), "cli-cpu-ms")
	b.ReportMetric(float64(maxRSS)/1024, "cli-maxrss-MiB")
	b.ReportMetric(float64(agentsCPU.Milliseconds())/float64(b.N), "agents-cpu-ms")
	// Page faults (minor: a page first touched) cost 13-14 µs each on the
	// VM these figures come from, and ~0.3 µs on most machines (bench/README.md).
	b.ReportMetric(float64(cliFaults)/float64(b.N), "cli-faults")
	b.ReportMetric(float64(agentsFaults)/float64(b.N), "agents-faults")
}

// timeMerged runs the jstrace binary on every agent titled many-*, and
// times it from exec to its "merged n" line, where it reads the CLI's
// peak RSS so far (KiB); then it interrupts it and returns its rusage
// once it has exited. The peak is /proc's VmHWM, not the rusage's
// ru_maxrss: Linux counts in a child's ru_maxrss the RSS of the process
// it was forked from, at its exec (this benchmark's, over 1 GiB after the
// benchmarks before it in `make bench`).
func timeMerged(b *testing.B, bin, runDir, script string, n int) (time.Duration, *syscall.Rusage, int64) {
	start := time.Now()
	cmd := exec.Command(bin, "-t", "many-*", script, "--", strconv.Itoa(n))
	cmd.Env = append(os.Environ(), "JSTRACE_RUN_DIR="+runDir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	r := bufio.NewReader(out)
	want := fmt.Sprintf("merged %d\n", n)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			cmd.Wait()
			b.Fatalf("no merged result: %v; stderr:\n%s", err, stderr.String())
		}
		if line == want {
			break
		}
	}
	d := time.Since(start)
	rss := peakRSS(b, cmd.Process.Pid)
	cmd.Process.Signal(os.Interrupt)
	io.Copy(io.Discard, r) // until it exits
	if err := cmd.Wait(); err != nil {
		b.Fatalf("jstrace: %v; stderr:\n%s", err, stderr.String())
	}
	return d, cmd.ProcessState.SysUsage().(*syscall.Rusage), rss
}

// peakRSS returns a process's peak resident set size so far, in KiB
// (VmHWM in /proc/<pid>/status, Linux).
func peakRSS(b *testing.B, pid int) int64 {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kib
		}
	}
	b.Fatal("no VmHWM in /proc/" + strconv.Itoa(pid) + "/status")
	return 0
}

// processesCPU sums the CPU time (user+system) the processes have used so
// far, and their minor page faults, from /proc/<pid>/stat (Linux).
func processesCPU(b *testing.B, ps []*exec.Cmd) (time.Duration, int64) {
	var ticks, faults int64
	for _, p := range ps {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(p.Process.Pid) + "/stat")
		if err != nil {
			b.Fatal(err)
		}
		// The fields after the command's name, which ends with the last ')':
		// minflt, utime and stime are the 10th, 14th and 15th fields of the line.
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+2:]))
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		minflt, _ := strconv.ParseInt(f[7], 10, 64) // the 10th field
		ticks += u + s
		faults += minflt
	}
	return time.Duration(ticks) * time.Second / 100, faults // USER_HZ
}
