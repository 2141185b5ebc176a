// Command manyagents hosts many jstrace agents in one process, for
// BenchmarkAttach: each agent listens with agent.Listen on its own port
// and registers a discovery file, titled <prefix>-<i>, so that one jstrace
// run finds them all by a -t glob. It prints "ready" once every agent
// listens, then serves until SIGINT or SIGTERM, and prints its own CPU
// seconds (user+system) and maximum RSS as it leaves.
//
//	manyagents -n 100 -prefix bench-3 -run /tmp/run
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/jstrace-go/jstrace/agent"
)

func main() {
	n := flag.Int("n", 100, "agents to host")
	prefix := flag.String("prefix", "bench", "title prefix: agents are titled <prefix>-<i>")
	runDir := flag.String("run", "", "discovery run directory (default: jstrace's)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the process's life to this file")
	flag.Parse()

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fail(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	log := slog.New(slog.DiscardHandler)
	agents := make([]*agent.Agent, 0, *n)
	for i := range *n {
		a, err := agent.Listen(agent.Options{RunDir: *runDir, Title: fmt.Sprintf("%s-%d", *prefix, i), Logger: log})
		if err != nil {
			fail(err)
		}
		agents = append(agents, a)
	}
	fmt.Println("ready")

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	<-sigs
	for _, a := range agents {
		a.Close()
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("cpu %.3f maxrss-kib %d\n", seconds(ru.Utime)+seconds(ru.Stime), ru.Maxrss)
}

func seconds(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

func fail(err error) {
	fmt.Fprintln(os.Stderr, "manyagents:", err)
	os.Exit(1)
}
