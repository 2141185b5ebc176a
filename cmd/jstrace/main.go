// Command jstrace runs Go scripts against the probes of live Go services.
//
// See the README, or run jstrace --help.
package main

import (
	"os"

	"github.com/jstrace-go/jstrace/internal/cli"
)

func main() { os.Exit(cli.Main()) }
