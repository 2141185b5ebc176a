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
package main

import (
	"os"

	"github.com/jstrace-go/jstrace/internal/cli"
)

func main() { os.Exit(cli.Main()) }
