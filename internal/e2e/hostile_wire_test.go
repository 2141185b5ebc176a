package e2e

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

// Hostile agents and hostile peers on the wire (issue 10, classes 5, 6
// and 8): the CLI stays bounded, exits on time and keeps control
// sequences off the terminal; the service stays bounded, serving, and its
// log small.

const wireScript = `package main

import "github.com/jstrace-go/jstrace/script"

func Remote(traces *script.Traces) {}

func Local(traces *script.Traces) {
	traces.On("known", func(t *script.Trace) {})
}
`

// capture is an io.Writer that counts what it is given and keeps the
// first 1 MiB (a flood must not take the test's memory).
type capture struct {
	mu sync.Mutex
	n  int
	b  bytes.Buffer
}

func (c *capture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n += len(p)
	if room := 1<<20 - c.b.Len(); room > 0 {
		c.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (c *capture) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.String()
}

func (c *capture) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// cliRun is a jstrace run against fake agents, measured.
type cliRun struct {
	stdout, stderr capture
	code           int
	took           time.Duration
	peakRSS        int
}

// runCLI runs jstrace with args, killing it past rssLimit MiB or timeout.
func (e *env) runCLI(rssLimit int, timeout time.Duration, args ...string) *cliRun {
	e.t.Helper()
	r := &cliRun{}
	cmd := exec.Command(bin.jstrace, args...)
	cmd.Env = append(cmd.Environ(), "JSTRACE_RUN_DIR="+e.runDir)
	cmd.Stdout, cmd.Stderr = &r.stdout, &r.stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	stop := make(chan struct{})
	peak := watchRSS(cmd.Process.Pid, rssLimit, func() { cmd.Process.Kill() }, stop)
	timer := time.AfterFunc(timeout, func() { cmd.Process.Kill() })
	cmd.Wait()
	timer.Stop()
	close(stop)
	r.took, r.code, r.peakRSS = time.Since(start), cmd.ProcessState.ExitCode(), <-peak
	noRace(e.t, "jstrace", r.stderr.String())
	return r
}

// untilStop serves a session like an agent whose script does nothing:
// on Stop it closes the streams and answers Done.
func (s *fakeSession) untilStop() {
	fr := protocol.NewFrameReader(s.ctl)
	for {
		t, _, err := fr.ReadFrame()
		if err != nil {
			return
		}
		if t == protocol.FrameStop {
			s.events.Close()
			s.console.Close()
			protocol.NewFrameWriter(s.ctl).Send(protocol.FrameDone, &protocol.Stats{})
			time.Sleep(100 * time.Millisecond)
			return
		}
	}
}

// A malicious agent floods the CLI with multiplexer frames and never reads
// what the CLI answers: the CLI cuts it off, stays small and ends on time.
// Serial: the CLI must read the flood at its rate to see one.
func TestMaliciousAgentFloodsFrames(t *testing.T) {
	tests := []struct {
		name  string
		frame func(i uint32) []byte
		want  string
	}{
		{"pings", func(i uint32) []byte { return yamuxHeader(2, 1, 0, i) }, "pings faster than one a second"},
		{"stream opens", func(i uint32) []byte { return yamuxHeader(1, 1, 2*i+2, 0) }, "more streams than the protocol has"},
		{"window updates", func(i uint32) []byte { return yamuxHeader(1, 0, 1, 1) }, "multiplexer frames faster than allowed"},
		{"empty frames on unknown streams", func(i uint32) []byte { return yamuxHeader(0, 0, 1001+2*i, 0) }, "multiplexer frames faster than allowed"},
		{"go-aways", func(i uint32) []byte { return yamuxHeader(3, 0, 0, 0) }, "multiplexer frames faster than allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			fa := startFakeAgent(t, protocol.Welcome{Title: "evil", Hostname: "evil-1"}, func(s *fakeSession) {
				s.attached()
				s.print(protocol.ConsoleStdout, "attached\n")
				flood(s.hijack(), 20*time.Second, tt.frame)
			})
			r := e.runCLI(400, 60*time.Second, "--agents", fa.addr(), "--duration", "5s", e.script("w.go", wireScript))
			t.Logf("exit %d after %v, peak RSS %d MiB, %d sessions", r.code, r.took.Round(time.Millisecond), r.peakRSS, fa.conns.Load())
			if r.peakRSS > 300 {
				t.Errorf("the CLI grew to %d MiB", r.peakRSS)
			}
			if r.took > 5*time.Second+10*time.Second {
				t.Errorf("the CLI took %v with --duration 5s", r.took)
			}
			if !strings.Contains(r.stderr.String(), tt.want) {
				t.Errorf("exit %d; stderr does not say %q:\n%.3000s", r.code, tt.want, r.stderr.String())
			}
		})
	}
}

// controlFree reports the first control character a terminal would act
// on, if any: C0 but newline and tab, DEL, C1, and non-UTF-8 bytes.
func controlFree(s string) error {
	for i, r := range s {
		bad := r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || r >= 0x80 && r <= 0x9f ||
			r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD")
		if bad {
			return fmt.Errorf("raw %q at byte %d: %q", r, i, s[max(0, i-40):min(len(s), i+40)])
		}
	}
	return nil
}

// A malicious agent's title, host name, probes, console output of every
// stream and error messages reach the terminal escaped; --raw lets them
// through.
func TestMaliciousAgentEscapes(t *testing.T) {
	t.Parallel()
	const (
		osc52 = "\x1b]52;c;cm0gLXJmIH4vKgo=\x07"
		title = "\x1b]0;pwned\x07\x1b[2J"
	)
	w := protocol.Welcome{Title: "api" + title, Hostname: "web\x1b[H\u009b1m\r", Probes: []string{"p" + osc52, "q\x1bc"}}
	refuse := startFakeAgent(t, w, func(s *fakeSession) {
		protocol.NewFrameWriter(s.ctl).Send(protocol.FrameError, &protocol.Error{Code: protocol.CodeScript, Message: "x.go:1:1: " + osc52 + "\nx.go:2:1: \x1b[2J"})
		s.hold()
	})
	fa := startFakeAgent(t, w, func(s *fakeSession) {
		s.attached()
		s.print(protocol.ConsoleStdout, "GET /"+osc52+"\n")
		s.print(protocol.ConsoleStderr, "err "+title+"\n")
		s.print(protocol.ConsoleDir, "dir\x1b[31m\xff\xfe\n\u202eline")
		s.print(protocol.ConsoleFault, "panic: "+osc52)
		s.emit([]string{"unknown\x1b]0;x\x07"})
		s.untilStop()
	})
	e := newEnv(t)
	script := e.script("w.go", wireScript)
	for _, args := range [][]string{
		{"ls", "--probes", "--agents", fa.addr()},
		{"--agents", fa.addr(), "--duration", "1s", script},
		{"--agents", refuse.addr(), "--duration", "1s", script},
		{"--agents", fa.addr(), "--duration", "1s", "-t", "nomatch", script},
	} {
		r := e.runCLI(400, 60*time.Second, args...)
		out := r.stdout.String() + r.stderr.String()
		if err := controlFree(out); err != nil {
			t.Errorf("jstrace %v: %v\n%s", args, err, out)
		}
		if !strings.Contains(out, `\x1b]`) {
			t.Errorf("jstrace %v: the hostile text is not shown escaped:\n%s", args, out)
		}
	}
	r := e.runCLI(400, 60*time.Second, "--raw", "--agents", fa.addr(), "--duration", "1s", script)
	if !strings.Contains(r.stdout.String(), osc52) {
		t.Errorf("--raw did not pass the agent's output as it came:\n%q", r.stdout.String())
	}
}

// A plausible script prints a URL path with escapes in it, in Remote and
// in Local, against the real service: the terminal gets them escaped.
func TestScriptOutputIsEscaped(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := e.start("api", "web-1")
	src := e.script("paths.go", `package main

import (
	"fmt"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	path := "/x%1b]0;pwned%07" + "\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J"
	traces.Log("GET " + path)
	traces.Error("GET " + path)
	traces.Dump(map[string]string{"path": path})
	traces.Emit("hit", "path", path)
}

func Local(traces *script.Traces) {
	traces.On("hit", func(t *script.Trace) { fmt.Println("local:", t.Get("path")) })
}
`)
	r := e.jstrace("-p", strconv.Itoa(svc.pid), "--duration", "2s", src)
	out := r.stdout + r.stderr
	if err := controlFree(out); err != nil || !strings.Contains(r.stdout, `local: /x%1b]0;pwned%07\x1b]52;`) {
		t.Fatalf("exit %d: %v\n%s", r.code, err, out)
	}
}

// A malicious agent emits names never seen before, as fast as it can: the
// CLI's memory and warnings stay bounded.
func TestMaliciousAgentUniqueNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	fa := startFakeAgent(t, protocol.Welcome{Title: "evil", Hostname: "evil-1"}, func(s *fakeSession) {
		s.attached()
		go s.untilStop()
		names := make([]string, 2000)
		pad := strings.Repeat("n", 200)
		for i := 0; ; i++ {
			for j := range names {
				names[j] = fmt.Sprintf("%s-%d-%d", pad, i, j)
			}
			if s.emit(names) != nil {
				return
			}
		}
	})
	r := e.runCLI(600, 60*time.Second, "--agents", fa.addr(), "--duration", "8s", e.script("w.go", wireScript))
	warnings := strings.Count(r.stderr.String(), "warning:")
	t.Logf("exit %d after %v, peak RSS %d MiB, %d warnings, stderr %d bytes", r.code, r.took.Round(time.Millisecond), r.peakRSS, warnings, r.stderr.Len())
	if warnings > 1024+10 || r.stderr.Len() > 1<<20 {
		t.Errorf("%d warnings, %d bytes of stderr", warnings, r.stderr.Len())
	}
	if r.peakRSS > 400 || r.took > 8*time.Second+20*time.Second {
		t.Errorf("peak RSS %d MiB, took %v", r.peakRSS, r.took)
	}
	if !strings.Contains(r.stderr.String(), "more warnings about names and fields were not printed") {
		t.Errorf("the suppressed warnings are not reported:\n%.2000s", r.stderr.String())
	}
}

// A malicious agent with a long title prints empty Dump lines: each would
// cost the terminal a prefix. The CLI prints at most its budget.
func TestMaliciousAgentDirAmplification(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	fa := startFakeAgent(t, protocol.Welcome{Title: strings.Repeat("t", 240), Hostname: "evil-1"}, func(s *fakeSession) {
		s.attached()
		go s.untilStop()
		lines := strings.Repeat("\n", 1<<20)
		for s.print(protocol.ConsoleDir, lines) == nil {
		}
	})
	r := e.runCLI(600, 60*time.Second, "--agents", fa.addr(), "--duration", "5s", e.script("w.go", wireScript))
	t.Logf("exit %d after %v: %d bytes of stdout, peak RSS %d MiB", r.code, r.took.Round(time.Millisecond), r.stdout.Len(), r.peakRSS)
	if limit := 8<<20 + int(r.took.Seconds()*(2<<20)); r.stdout.Len() > limit {
		t.Errorf("%d bytes printed in %v, budget %d", r.stdout.Len(), r.took, limit)
	}
	if !strings.Contains(r.stderr.String(), "console output beyond") || !strings.Contains(r.stderr.String(), "bytes of console output dropped by jstrace") {
		t.Errorf("the drop is not reported:\n%.2000s", r.stderr.String())
	}
}

// dialAuthenticated opens a connection to the service's agent and passes
// the handshake with its token: an authenticated peer.
func dialAuthenticated(t *testing.T, addr, token string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	protocol.WritePreamble(c)
	if _, err := protocol.ReadPreamble(c); err != nil {
		t.Fatal(err)
	}
	protocol.WriteFrame(c, protocol.FrameHello, (&protocol.Hello{Token: token}).Append(nil))
	if typ, _, err := protocol.ReadFrameExact(c, protocol.MaxFrameSize); err != nil || typ != protocol.FrameWelcome {
		t.Fatalf("handshake: %v %v", typ, err)
	}
	c.SetDeadline(time.Time{})
	return c
}

// An authenticated peer floods the agent with multiplexer frames and
// reads nothing: the agent cuts it off, the service stays small and keeps
// serving, and the log says why.
// Serial: the agent must read the flood at its rate to see one.
func TestHostilePeerFloodsTheAgent(t *testing.T) {
	e := newEnv(t)
	svc := e.startEnv("api", "web-1", "JSTRACE_TOKEN=s3cret")
	addr := agentAddr(t, e.jstrace("ls").stdout, svc.pid)
	rss0 := rssMiB(svc.pid)
	tests := []struct {
		name  string
		frame func(i uint32) []byte
		want  string
	}{
		{"pings", func(i uint32) []byte { return yamuxHeader(2, 1, 0, i) }, "pings faster than one a second"},
		{"stream opens", func(i uint32) []byte { return yamuxHeader(1, 1, 2*i+1, 0) }, "more streams than the protocol has"},
		{"window updates", func(i uint32) []byte { return yamuxHeader(1, 0, 7, 1<<20) }, "multiplexer frames faster than allowed"},
		{"tiny frames on unknown streams", func(i uint32) []byte { return append(yamuxHeader(0, 0, 99, 1), 'x') }, "multiplexer frames faster than allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var conns []net.Conn
			for range 2 { // the log says why for each: fewer than its quota
				conns = append(conns, dialAuthenticated(t, addr, "s3cret"))
			}
			stop := make(chan struct{})
			peak := watchRSS(svc.pid, rss0+300, func() { // past the test's failure: spare the machine
				for _, c := range conns {
					c.Close()
				}
			}, stop)
			var wg sync.WaitGroup
			start := time.Now()
			for _, c := range conns {
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer c.Close()
					flood(c, 15*time.Second, tt.frame)
				}()
			}
			svc.alive(t)
			wg.Wait()
			close(stop)
			took, p := time.Since(start), <-peak
			t.Logf("cut off after %v; service RSS %d MiB before, peak %d MiB", took.Round(time.Millisecond), rss0, p)
			if took > 12*time.Second {
				t.Errorf("the flood went on for %v", took)
			}
			if p > rss0+150 {
				t.Errorf("service RSS %d MiB → %d MiB", rss0, p)
			}
			if !svc.logSays(tt.want, 10*time.Second) {
				t.Errorf("the log does not say %q:\n%.3000s", tt.want, svc.log.String())
			}
			svc.alive(t)
		})
	}
	if r := e.jstrace("-t", "api", "--token", "s3cret", "--duration", "300ms", e.script("w.go", whoami)); r.code != 0 {
		t.Fatalf("after the floods: exit %d\n%s", r.code, r.stderr)
	}
}

// Thousands of garbage connections, none authenticated (the agent has a
// token), and as many authenticated ones that hang up at once: the
// service's log stays a few lines.
func TestGarbagePeersKeepTheLogSmall(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := e.startEnv("api", "web-1", "JSTRACE_TOKEN=s3cret")
	addr := agentAddr(t, e.jstrace("ls", "--token", "s3cret").stdout, svc.pid)
	before := len(svc.log.String())
	payloads := [][]byte{
		[]byte("GET / HTTP/1.1\r\n\r\n"),
		{'J', 'S', 'T', 'R', 42},
		append([]byte{'J', 'S', 'T', 'R', protocol.Version}, 0x01, 0x80, 0x80, 0x80, 0x80, 0x01),
		append([]byte{'J', 'S', 'T', 'R', protocol.Version}, protocol.AppendFrame(nil, protocol.FrameHello, (&protocol.Hello{Token: "wrong"}).Append(nil))...),
		append([]byte{'J', 'S', 'T', 'R', protocol.Version}, protocol.AppendFrame(nil, protocol.FrameHello, (&protocol.Hello{Token: "s3cret"}).Append(nil))...),
	}
	for i := range 3000 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		c.Write(payloads[i%len(payloads)])
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		var b [64]byte
		c.Read(b[:])
		c.Close()
	}
	svc.alive(t)
	grown := svc.log.String()[before:]
	// Ten lines a minute of each kind (before and after authentication).
	if lines := strings.Count(grown, "\n"); lines > 22 || len(grown) > 8<<10 {
		t.Fatalf("3000 garbage connections wrote %d lines, %d bytes to the log:\n%.3000s", lines, len(grown), grown)
	}
}
