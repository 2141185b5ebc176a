package agent_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/discovery"
	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/script"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = slog.New(slog.DiscardHandler)

// start runs an agent for the test.
func start(t *testing.T, opts agent.Options) *agent.Agent {
	t.Helper()
	if opts.RunDir == "" {
		opts.RunDir = t.TempDir()
	}
	if opts.Logger == nil {
		// Kept, and shown if the test fails.
		var log syncBuffer
		opts.Logger = slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("agent log:\n%s", log.String())
			}
		})
	}
	a, err := agent.Listen(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// recorder is a client.Handler that keeps what it receives.
type recorder struct {
	mu      sync.Mutex
	traces  []*script.Trace
	console []protocol.Console
	got     chan struct{}
}

func newRecorder() *recorder { return &recorder{got: make(chan struct{}, 1)} }

func (r *recorder) Events(c *client.Conn, batch []byte) {
	r.mu.Lock()
	for len(batch) > 0 {
		rec, rest, err := protocol.NextRecord(batch)
		if err != nil {
			panic(err)
		}
		t, err := scripthost.ParseTrace(rec, c.Origin)
		if err != nil {
			panic(err)
		}
		r.traces = append(r.traces, t)
		batch = rest
	}
	r.mu.Unlock()
	r.signal()
}

func (r *recorder) Console(c *client.Conn, m protocol.Console) {
	r.mu.Lock()
	r.console = append(r.console, m)
	r.mu.Unlock()
	r.signal()
}

func (r *recorder) Stats(*client.Conn, protocol.Stats) {}

func (r *recorder) signal() {
	select {
	case r.got <- struct{}{}:
	default:
	}
}

// waitFor waits until cond holds on the recorder.
func (r *recorder) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.got:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (r *recorder) consoleText() string {
	var b strings.Builder
	for _, m := range r.console {
		b.WriteString(m.Text)
	}
	return b.String()
}

func dial(t *testing.T, a *agent.Agent, token string) *client.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, a.Addr().String(), client.Options{Token: token})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

const remoteScript = `package main

import (
	"fmt"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	n := 0
	traces.On("agenttest:*", func(t *script.Trace) {
		n++
		traces.Emit("seen", "name", t.Name, "v", t.Int("v"), "pid", t.PID)
		if t.Int("v") < 0 {
			panic("negative")
		}
	})
	traces.OnCleanup(func() {
		fmt.Println("cleanup after", n)
		traces.Emit("total", "n", n)
	})
}
`

func TestSessionEndToEnd(t *testing.T) {
	runDir := filepath.Join(t.TempDir(), "run")
	a := start(t, agent.Options{Title: "unit", Hostname: "host-1", RunDir: runDir})
	entries, err := discovery.List(runDir)
	if err != nil || len(entries) != 1 || entries[0].Addr != a.Addr().String() || entries[0].Title != "unit" {
		t.Fatalf("discovery entries %+v, %v", entries, err)
	}
	if fi, err := os.Stat(runDir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("run dir mode %v, %v", fi.Mode(), err)
	}
	files, _ := filepath.Glob(filepath.Join(runDir, "*.json"))
	if fi, err := os.Stat(files[0]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("discovery file mode %v, %v", fi.Mode(), err)
	}

	probe := jstrace.NewProbe("agenttest:fire")
	c := dial(t, a, "")
	if c.Welcome.Title != "unit" || c.Welcome.Hostname != "host-1" || c.Welcome.PID != os.Getpid() {
		t.Fatalf("welcome %+v", c.Welcome)
	}
	rec := newRecorder()
	attached, err := c.Attach(&protocol.Attach{Name: "r.go", Source: remoteScript, LocalPatterns: []string{"agenttest:raw"}}, rec)
	if err != nil {
		t.Fatal(err)
	}
	if len(attached.RemotePatterns) != 1 || attached.RemotePatterns[0] != "agenttest:*" {
		t.Fatalf("remote patterns %v", attached.RemotePatterns)
	}
	if !probe.Enabled() || a.Sessions() != 1 {
		t.Fatalf("probe enabled %v, sessions %d", probe.Enabled(), a.Sessions())
	}
	probe.Emit("v", 1)
	probe.Emit("v", -1) // the handler panics: reported, not fatal
	jstrace.Trace("agenttest:raw", "v", 7)
	rec.waitFor(t, "emits, raw trace and fault", func() bool {
		if len(rec.traces) >= 4 && strings.Contains(rec.consoleText(), "negative") {
			return true
		}
		var names []string
		for _, tr := range rec.traces {
			names = append(names, tr.Name)
		}
		t.Logf("so far: traces %v, console %q", names, rec.consoleText())
		return false
	})
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	stats, err := c.Wait(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]int{}
	for _, tr := range rec.traces {
		names[tr.Name]++
		if tr.Hostname != "host-1" || tr.Title != "unit" || tr.PID != os.Getpid() {
			t.Errorf("trace origin %s/%s/%d", tr.Hostname, tr.Title, tr.PID)
		}
		if tr.Name == "total" && tr.Int("n") != 3 {
			t.Errorf("total %d, want 3", tr.Int("n"))
		}
		if tr.Name == "seen" && tr.Int("_pid") != os.Getpid() {
			t.Errorf("emitted pid field read as _pid: %v", tr.Get("_pid"))
		}
	}
	if names["seen"] != 3 || names["agenttest:raw"] != 1 || names["total"] != 1 {
		t.Errorf("traces by name %v", names)
	}
	if text := rec.consoleText(); !strings.Contains(text, "cleanup after 3\n") || !strings.Contains(text, `handler for "agenttest:*": panic`) {
		t.Errorf("console %q", text)
	}
	if stats.Errors != 1 || stats.Events != 5 || stats.Dropped != 0 {
		t.Errorf("stats %+v", stats)
	}
	if probe.Enabled() {
		t.Error("probe still enabled after the session ended")
	}
	c.Close()
	waitSessions(t, a, 0)
	a.Close()
	if entries, _ := discovery.List(runDir); len(entries) != 0 {
		t.Errorf("discovery entry left after Close: %+v", entries)
	}
}

func waitSessions(t *testing.T, a *agent.Agent, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); a.Sessions() != n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions, want %d", a.Sessions(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestToken(t *testing.T) {
	a := start(t, agent.Options{Token: "s3cret"})
	ctx := context.Background()
	for _, tok := range []string{"", "wrong"} {
		_, err := client.Dial(ctx, a.Addr().String(), client.Options{Token: tok})
		var pe *protocol.Error
		if !errors.As(err, &pe) || pe.Code != protocol.CodeAuth {
			t.Fatalf("token %q: err = %v", tok, err)
		}
	}
	dial(t, a, "s3cret")
}

func TestScriptErrorIsReportedWithPosition(t *testing.T) {
	a := start(t, agent.Options{})
	c := dial(t, a, "")
	src := "package main\n\nimport \"github.com/jstrace-go/jstrace/script\"\n\nfunc Remote(traces *script.Traces) {\n\tundefinedFunc()\n}\n"
	_, err := c.Attach(&protocol.Attach{Name: "bad.go", Source: src}, newRecorder())
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != protocol.CodeScript || !strings.Contains(pe.Message, "bad.go:6:2: undefined: undefinedFunc") {
		t.Fatalf("err = %v", err)
	}
	forbidden := strings.Replace(src, `import "github.com/jstrace-go/jstrace/script"`, "import (\n\"os\"\n\"github.com/jstrace-go/jstrace/script\"\n)", 1)
	c2 := dial(t, a, "")
	_, err = c2.Attach(&protocol.Attach{Name: "bad.go", Source: forbidden}, newRecorder())
	if !errors.As(err, &pe) || !strings.Contains(pe.Message, `import "os" is not allowed`) {
		t.Fatalf("forbidden import: err = %v", err)
	}
}

func TestHostilePeers(t *testing.T) {
	a := start(t, agent.Options{})
	addr := a.Addr().String()
	tests := []struct {
		name string
		send []byte
	}{
		{"http request", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")},
		{"other version", []byte{'J', 'S', 'T', 'R', 99}},
		{"garbage after preamble", append([]byte{'J', 'S', 'T', 'R', protocol.Version}, strings.Repeat("\xff", 4096)...)},
		{"nothing", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			nc.Write(tt.send)
			if tt.send == nil {
				return
			}
			nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			reply, _ := io.ReadAll(nc)
			if len(reply) < 5 || string(reply[:4]) != "JSTR" || reply[4] != protocol.Version {
				t.Fatalf("reply %q: want the agent's preamble", reply)
			}
		})
	}
	// The agent still serves a real client.
	dial(t, a, "")
}

func TestCLIVanishing(t *testing.T) {
	a := start(t, agent.Options{})
	probe := jstrace.NewProbe("agenttest:vanish")
	for range 20 {
		c := dial(t, a, "")
		if _, err := c.Attach(&protocol.Attach{Name: "r.go", Source: strings.ReplaceAll(remoteScript, "agenttest:*", "agenttest:vanish")}, newRecorder()); err != nil {
			t.Fatal(err)
		}
		probe.Emit("v", 1)
		c.Close() // no Stop: the connection just dies
	}
	waitSessions(t, a, 0)
	if probe.Enabled() {
		t.Fatal("probe still enabled after every CLI vanished")
	}
}

func TestMaxSessions(t *testing.T) {
	a := start(t, agent.Options{MaxSessions: 1})
	src := strings.ReplaceAll(remoteScript, "agenttest:*", "agenttest:max")
	c1 := dial(t, a, "")
	if _, err := c1.Attach(&protocol.Attach{Name: "r.go", Source: src}, newRecorder()); err != nil {
		t.Fatal(err)
	}
	c2 := dial(t, a, "")
	_, err := c2.Attach(&protocol.Attach{Name: "r.go", Source: src}, newRecorder())
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != protocol.CodeBusy {
		t.Fatalf("second session: %v", err)
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	t.Setenv(agent.EnvTitle, "from-env")
	t.Setenv(agent.EnvHostname, "env-host")
	t.Setenv(agent.EnvAddr, "127.0.0.1:0")
	a := start(t, agent.Options{Title: "from-code", Hostname: "code-host", Addr: "127.0.0.2:1"})
	c := dial(t, a, "")
	if a.Title() != "from-env" || c.Welcome.Hostname != "env-host" {
		t.Fatalf("title %q hostname %q", a.Title(), c.Welcome.Hostname)
	}
}

// Peers that announce huge frames and stall, or flood the multiplexer
// with pings, must not make the agent allocate or start goroutines without
// bound: nothing but a small Hello is read before authentication.
func TestHandshakeFloodIsBounded(t *testing.T) {
	a := start(t, agent.Options{Token: "s3cret"})
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	g0 := runtime.NumGoroutine()
	ping := []byte{0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1} // yamux ping, stream 0
	var conns []net.Conn
	for i := range 60 {
		nc, err := net.Dial("tcp", a.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, nc)
		nc.Write([]byte{'J', 'S', 'T', 'R', protocol.Version})
		switch i % 3 {
		case 0: // a Hello announced at 4 MiB
			nc.Write([]byte{byte(protocol.FrameHello), 0x80, 0x80, 0x80, 0x02})
		case 1: // the largest Hello allowed, then silence
			nc.Write([]byte{byte(protocol.FrameHello), 0x80, 0x7d})
			nc.Write(make([]byte, 1000))
		case 2: // multiplexer pings before any Hello
			for range 1000 {
				nc.Write(ping)
			}
		}
	}
	time.Sleep(500 * time.Millisecond)
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapInuse) - int64(before.HeapInuse); grown > 8<<20 {
		t.Errorf("60 hostile peers grew the heap by %d MiB", grown>>20)
	}
	if g := runtime.NumGoroutine(); g > g0+40 {
		t.Errorf("60 hostile peers started %d goroutines", g-g0)
	}
	for _, nc := range conns {
		nc.Close()
	}
	// Once they are gone, a real client gets through.
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c, err := client.Dial(ctx, a.Addr().String(), client.Options{Token: "s3cret"})
		cancel()
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent unusable after the flood: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// blockingRecorder stops reading events: a CLI whose Local is stuck.
type blockingRecorder struct {
	*recorder
	unblock chan struct{}
}

func (r blockingRecorder) Events(c *client.Conn, batch []byte) { <-r.unblock }

// Stop must end a session even when the CLI stopped reading events: the
// remote cleanup still runs and its console output still arrives.
func TestStopWithCLINotReading(t *testing.T) {
	a := start(t, agent.Options{})
	probe := jstrace.NewProbe("agenttest:stuck")
	c := dial(t, a, "")
	rec := blockingRecorder{newRecorder(), make(chan struct{})}
	defer close(rec.unblock)
	src := strings.ReplaceAll(remoteScript, "agenttest:*", "agenttest:stuck")
	if _, err := c.Attach(&protocol.Attach{Name: "r.go", Source: src, LocalPatterns: []string{"agenttest:stuck"}}, rec); err != nil {
		t.Fatal(err)
	}
	pad := strings.Repeat("x", 1000)
	for i := range 20000 { // far more than the stream window and the buffer
		probe.Emit("v", i, "pad", pad)
	}
	start := time.Now()
	c.Stop()
	rec.waitFor(t, "remote cleanup output", func() bool { return strings.Contains(rec.consoleText(), "cleanup after") })
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("cleanup output after %v", d)
	}
	c.Close()
	waitSessions(t, a, 0)
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// blackhole forwards TCP between a client and addr until cut, then
// silently stops forwarding either way without closing anything: a network
// cut, as a pulled cable or a dropped route would make it.
type blackhole struct {
	ln  net.Listener
	cut chan struct{}
}

func newBlackhole(t *testing.T, addr string) *blackhole {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &blackhole{ln: ln, cut: make(chan struct{})}
	t.Cleanup(func() { ln.Close() })
	go func() {
		in, err := ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", addr)
		if err != nil {
			in.Close()
			return
		}
		t.Cleanup(func() { in.Close(); out.Close() })
		pipe := func(dst, src net.Conn) {
			buf := make([]byte, 32<<10)
			for {
				n, err := src.Read(buf)
				if err != nil {
					return
				}
				select {
				case <-b.cut:
					continue // swallowed
				default:
				}
				dst.Write(buf[:n])
			}
		}
		go pipe(out, in)
		go pipe(in, out)
	}()
	return b
}

// When the network between CLI and agent is cut, the agent notices
// (keepalives), ends the session and releases the probes.
func TestNetworkCut(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for yamux keepalives")
	}
	a := start(t, agent.Options{})
	probe := jstrace.NewProbe("agenttest:cut")
	bh := newBlackhole(t, a.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, bh.ln.Addr().String(), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	src := strings.ReplaceAll(remoteScript, "agenttest:*", "agenttest:cut")
	if _, err := c.Attach(&protocol.Attach{Name: "r.go", Source: src, LocalPatterns: []string{"agenttest:cut"}}, newRecorder()); err != nil {
		t.Fatal(err)
	}
	close(bh.cut)
	deadline := time.Now().Add(40 * time.Second)
	for a.Sessions() != 0 || probe.Enabled() {
		probe.Emit("v", 1) // never blocks, whatever the network does
		if time.Now().After(deadline) {
			t.Fatalf("session still attached %v after the cut", 40*time.Second)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// With a small session buffer, the pump must not wait between reads for
// events to gather: it would drop what a steady trickle brings.
func TestSmallBufferKeepsUp(t *testing.T) {
	a := start(t, agent.Options{BufferSize: 16 << 10})
	probe := jstrace.NewProbe("agenttest:small")
	c := dial(t, a, "")
	rec := newRecorder()
	src := "package main\n\nimport \"github.com/jstrace-go/jstrace/script\"\n\nfunc Remote(traces *script.Traces) {}\n"
	if _, err := c.Attach(&protocol.Attach{Name: "r.go", Source: src, LocalPatterns: []string{"agenttest:small"}}, rec); err != nil {
		t.Fatal(err)
	}
	pad := strings.Repeat("p", 80)
	n := 0
	for start := time.Now(); time.Since(start) < time.Second; time.Sleep(time.Millisecond) {
		for range 20 { // some 2 KB a millisecond: a 16 KiB buffer holds 8 ms
			probe.Emit("i", n, "pad", pad)
			n++
		}
	}
	c.Stop()
	stats, err := c.Wait(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Dropped > uint64(n)/100 {
		t.Fatalf("%d of %d events dropped with a 16 KiB buffer at 2 MB/s", stats.Dropped, n)
	}
}
