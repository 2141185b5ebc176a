package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

// Honest traffic at the agent's limits is not taken for a flood (issue
// 10, class 5): the multiplexer guards bound frames, not busy consoles.

// busyScript prints ten thousand short lines a second, within the
// console's 1 MiB/s, for twelve seconds.
const busyScript = `package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	line := strings.Repeat("x", 90)
	traces.Every(10*time.Millisecond, func() { // the shortest period
		for i := 0; i < 100; i++ {
			fmt.Println(line)
		}
	})
}

func Local(traces *script.Traces) {}
`

// The real agent, its script printing as fast as its console allows.
// Serial: it counts the lines a second the console carries.
func TestBusyConsoleIsNotAFlood(t *testing.T) {
	e := newEnv(t)
	svc := e.start("api", "web-1")
	r := e.jstrace("--duration", "12s", "-t", "api", e.script("busy.go", busyScript))
	lines := strings.Count(r.stdout, "xxxxxxxxxx\n")
	t.Logf("exit %d, %d lines", r.code, lines)
	if r.code != 0 || strings.Contains(r.stderr, "faster than allowed") {
		t.Fatalf("exit %d\nstderr:\n%.3000s", r.code, r.stderr)
	}
	if lines < 60000 {
		t.Errorf("only %d lines in 12s", lines)
	}
	svc.alive(t)
}

// An agent that sends each print in a frame of its own, spread evenly at
// ten thousand 90-byte lines a second, for twelve seconds: what an agent
// that does not coalesce its console sends. The CLI takes all of it (it
// once cut such an agent off as a frame flood after about seven seconds).
// Serial: its agent must keep its pace.
func TestUncoalescedConsoleIsNotAFlood(t *testing.T) {
	e := newEnv(t)
	const perSecond, d = 10000, 12 * time.Second
	line := strings.Repeat("x", 90) + "\n"
	fa := startFakeAgent(t, protocol.Welcome{Title: "busy", Hostname: "busy-1"}, func(s *fakeSession) {
		s.attached()
		start := time.Now()
		for sent := 0; time.Since(start) < d; time.Sleep(time.Millisecond) {
			for due := int(time.Since(start) * perSecond / time.Second); sent < due; sent++ {
				if s.print(protocol.ConsoleStdout, line) != nil {
					return
				}
			}
		}
		s.untilStop()
	})
	r := e.runCLI(400, 60*time.Second, "--agents", fa.addr(), "--duration", "14s", e.script("w.go", wireScript))
	lines := strings.Count(r.stdout.String(), "xxxxxxxxxx\n")
	t.Logf("exit %d after %v, %d lines (the first MiB), %d bytes of stdout", r.code, r.took.Round(time.Millisecond), lines, r.stdout.Len())
	if r.code != 0 || strings.Contains(r.stderr.String(), "faster than allowed") {
		t.Fatalf("exit %d\nstderr:\n%.3000s", r.code, r.stderr.String())
	}
	if want := int(d/time.Second) * perSecond * len(line) * 9 / 10; r.stdout.Len() < want {
		t.Errorf("%d bytes of stdout, want at least %d", r.stdout.Len(), want)
	}
}
