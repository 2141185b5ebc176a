// Package idle runs a footprint program: it starts the service (and the
// agent, if given), stays idle, and prints what it cost: heap in use and
// context switches (wake-ups) over the idle period.
package idle

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"
)

// Serve starts the default mux on a free port and, if start is not nil,
// whatever start starts; then reports. start returns a stop function.
func Serve(start func() func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go http.Serve(ln, nil)
	runtime.GC()
	before := heap()
	if start != nil {
		defer start()()
	}
	runtime.GC()
	after := heap()
	cs0 := switches()
	time.Sleep(5 * time.Second)
	cs := switches() - cs0
	runtime.GC()
	fmt.Printf("heap %d agent-heap %d switches %d\n", heap(), after-before, cs)
}

func heap() int64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// switches counts the process's context switches so far, all threads.
func switches() int64 {
	var total int64
	tasks, _ := os.ReadDir("/proc/self/task")
	for _, t := range tasks {
		b, _ := os.ReadFile("/proc/self/task/" + t.Name() + "/status")
		for _, line := range strings.Split(string(b), "\n") {
			var n int64
			if _, err := fmt.Sscanf(line, "voluntary_ctxt_switches: %d", &n); err == nil {
				total += n
			}
			if _, err := fmt.Sscanf(line, "nonvoluntary_ctxt_switches: %d", &n); err == nil {
				total += n
			}
		}
	}
	return total
}
