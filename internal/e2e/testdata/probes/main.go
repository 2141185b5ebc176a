// Command probes is a traced process for the end-to-end tests whose probes
// are named on its command line: it fires each every 10ms, with a "size"
// field, until killed. It prints "probes: agent ADDR" once listening.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/agent"
)

func main() {
	var probes []*jstrace.Probe
	for _, name := range os.Args[1:] {
		probes = append(probes, jstrace.NewProbe(name))
	}
	a, err := agent.Listen(agent.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "probes:", err)
		os.Exit(1)
	}
	defer a.Close()
	fmt.Printf("probes: agent %s\n", a.Addr())
	for i := 0; ; i++ {
		for _, p := range probes {
			p.Emit("size", i)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
