// Command jstrace runs Go scripts against the probes of live Go services.
//
//	jstrace [flags] script.go   run a script against the agents selected
//	jstrace ls [flags]          list the reachable agents
//	jstrace vet script.go...    check scripts as jstrace would, without running them
//
// Install it with
//
//	go install github.com/jstrace-go/jstrace/cmd/jstrace@latest
//
// Run jstrace --help, or jstrace help <command>, for the flags and exit
// codes; the guides are in the
// repository's docs/ directory (docs/scripts.md, docs/operating.md).
//
// For jstrace's own developers, $JSTRACE_CPUPROFILE names a file to which
// the run writes a CPU profile of itself (go tool pprof).
package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/jstrace-go/jstrace/internal/cli"
)

func main() { os.Exit(run()) }

// run is cli.Main, profiled if $JSTRACE_CPUPROFILE asks for it.
func run() int {
	if path := os.Getenv("JSTRACE_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "jstrace: cpu profile: %v\n", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "jstrace: cpu profile: %v\n", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	return cli.Main()
}
