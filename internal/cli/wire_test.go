package cli

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost"
)

// newTestTracer is a tracer with only what the handlers use.
func newTestTracer(raw bool) (*tracer, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	t := &tracer{
		opts:   &TraceOptions{ConnectOptions: ConnectOptions{Raw: raw}},
		out:    &output{stdout: &stdout, stderr: &stderr, raw: raw},
		agents: map[string]*agent{},
		warned: map[string]bool{},
	}
	return t, &stdout, &stderr
}

func hostileConn() *client.Conn {
	return &client.Conn{Addr: "x:1", Origin: scripthost.Origin{Hostname: "h\x1b]0;owned\x07", Title: "t\nforged line", PID: 7}}
}

// Everything an agent sends reaches the terminal escaped: console text of
// every stream, and the names in the prefixes.
func TestConsoleIsEscaped(t *testing.T) {
	tr, stdout, stderr := newTestTracer(false)
	c := hostileConn()
	for _, s := range []protocol.ConsoleStream{protocol.ConsoleStdout, protocol.ConsoleStderr, protocol.ConsoleDir, protocol.ConsoleFault} {
		tr.Console(c, protocol.Console{Stream: s, Text: "GET /\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\u009b\rpath\n"})
	}
	out := stdout.String() + stderr.String()
	if strings.ContainsAny(out, "\x1b\x07\r\u009b") {
		t.Fatalf("raw control characters reached the terminal: %q", out)
	}
	if !strings.Contains(stdout.String(), `h\x1b]0;owned\x07/t\x0aforged line/7 >> GET /\x1b]52;c;`) {
		t.Fatalf("stdout: %q", stdout)
	}
	if n := strings.Count(out, "\n"); n != 4 {
		t.Fatalf("%d lines, want 4: %q", n, out)
	}

	// --raw: as it came.
	tr, stdout, _ = newTestTracer(true)
	tr.Console(c, protocol.Console{Stream: protocol.ConsoleStdout, Text: "\x1b[31mred\x1b[0m"})
	if stdout.String() != "\x1b[31mred\x1b[0m" {
		t.Fatalf("--raw: %q", stdout)
	}
}

// Local's own output of agent data goes through the same gate.
func TestLocalOutputIsEscaped(t *testing.T) {
	tr, stdout, stderr := newTestTracer(false)
	lo := (*localOutput)(tr)
	lo.Print(byte(protocol.ConsoleStdout), "path=/\x1b]0;x\x07\n")
	lo.Print(byte(protocol.ConsoleStderr), "\x1bc")
	lo.Fault("boom \x1b[2J")
	if out := stdout.String() + stderr.String(); strings.Contains(out, "\x1b") {
		t.Fatalf("raw ESC: %q", out)
	}
}

// A Dir flood of empty lines with a long prefix: the agent's output as
// printed stays within its budget, and the rest is counted.
func TestConsoleBudget(t *testing.T) {
	tr, stdout, stderr := newTestTracer(false)
	c := &client.Conn{Addr: "x:1", Origin: scripthost.Origin{Hostname: strings.Repeat("h", 200), Title: "t", PID: 1}}
	text := strings.Repeat("\n", 64<<10)
	start := time.Now()
	sent := 0
	for range 200 { // 12.5 MiB of newlines: 3 GiB once prefixed
		tr.Console(c, protocol.Console{Stream: protocol.ConsoleDir, Text: text})
		sent += len(text)
	}
	limit := consoleBurst + int(time.Since(start).Seconds()*consoleRate) + 1<<20
	if stdout.Len() > limit {
		t.Fatalf("printed %d bytes for %d sent, limit %d", stdout.Len(), sent, limit)
	}
	if tr.console.dropped(c) == 0 || strings.Count(stderr.String(), "console output beyond") != 1 {
		t.Fatalf("dropped %d; stderr %q", tr.console.dropped(c), stderr)
	}
}

// Unique names: the warnings remembered, and printed, stay bounded.
func TestWarningsAreBounded(t *testing.T) {
	tr, _, stderr := newTestTracer(false)
	for i := range 100000 {
		tr.warnOnce(fmt.Sprint("emit name-", i), "warning: %d", i)
		tr.firstTime(fmt.Sprint("keys name-", i))
	}
	if len(tr.warned) > maxWarned {
		t.Fatalf("%d warnings remembered", len(tr.warned))
	}
	if n := strings.Count(stderr.String(), "\n"); n > maxWarned {
		t.Fatalf("%d warnings printed", n)
	}
	if tr.unwarned == 0 {
		t.Fatal("suppressed warnings not counted")
	}
}

func TestFieldIsOneLineAndBounded(t *testing.T) {
	o := &output{}
	if got := o.field("a\nb\tc\x1b"); got != `a\x0ab\x09c\x1b` {
		t.Fatalf("field = %q", got)
	}
	if got := o.field(strings.Repeat("é", 1000)); len(got) > maxField+len("…") {
		t.Fatalf("field of %d bytes", len(got))
	}
	o.raw = true
	if got := o.field("a\nb"); got != "a\nb" {
		t.Fatalf("raw field = %q", got)
	}
}

func TestPrefixedSize(t *testing.T) {
	for _, s := range []string{"", "a", "a\n", "a\nb", "\n\n\n", "ab\ncd\n"} {
		if got, want := prefixedSize("p> ", s), len(prefixLines("p> ", s)); got < want {
			t.Errorf("prefixedSize(%q) = %d, want at least %d", s, got, want)
		}
	}
}

// The hard deadline fires when a session outlives --duration by more than
// the agents' stop timeout and the grace, and not once disarmed.
func TestHardDeadline(t *testing.T) {
	tr, _, stderr := newTestTracer(false)
	code := make(chan int, 2)
	old := exit
	exit = func(c int) { code <- c }
	defer func() { exit = old }()
	tr.hardDeadline(0)() // no --duration: nothing armed
	tr.armExit(time.Millisecond, 20*time.Millisecond)()
	tr.armExit(time.Millisecond, 50*time.Millisecond)
	select {
	case c := <-code:
		if c != ExitError {
			t.Fatalf("exit(%d)", c)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the deadline did not fire")
	}
	time.Sleep(100 * time.Millisecond)
	if len(code) != 0 || strings.Count(stderr.String(), "did not end within") != 1 {
		t.Fatalf("stderr: %q", stderr)
	}
}
