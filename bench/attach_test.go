package bench

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/engine"
	"github.com/jstrace-go/jstrace/internal/match"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// Attach latency: from the start of a jstrace run to the first event of a
// local agent, yaegi set-up on both ends included.

const attachScript = `package main

import (
	"fmt"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	traces.Emit("hello", "from", "remote")
}

func Local(traces *script.Traces) {
	traces.On("hello", func(t *script.Trace) { fmt.Println("first event from", t.PID) })
}
`

// firstEvent is a client.Handler that notes the arrival of the first batch.
type firstEvent struct{ got chan struct{} }

func (f *firstEvent) Events(*client.Conn, []byte) {
	select {
	case f.got <- struct{}{}:
	default:
	}
}
func (f *firstEvent) Console(*client.Conn, protocol.Console) {}
func (f *firstEvent) Stats(*client.Conn, protocol.Stats)     {}

// BenchmarkAttach/in-process: what the CLI does, in this process, against
// an agent in this process: load the script (Local), dial, authenticate,
// ship the script, the agent loads it (Remote) and its first event
// arrives.
func BenchmarkAttach(b *testing.B) {
	b.Run("in-process", func(b *testing.B) {
		a, err := agent.Listen(agent.Options{NoDiscovery: true, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		defer a.Close()
		var total time.Duration
		for i := 0; i < b.N; i++ {
			start := time.Now()
			local, err := engine.Start("attach.go", []byte(attachScript), engine.Local, nopOutput{}, engine.Options{})
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			c, err := client.Dial(ctx, a.Addr().String(), client.Options{})
			cancel()
			if err != nil {
				b.Fatal(err)
			}
			h := &firstEvent{got: make(chan struct{}, 1)}
			if _, err := c.Attach(&protocol.Attach{Name: "attach.go", Source: attachScript, LocalPatterns: local.Patterns()}, h); err != nil {
				b.Fatal(err)
			}
			<-h.got
			total += time.Since(start)
			c.Stop()
			c.Wait(10 * time.Second)
			c.Close()
			local.Stop(context.Background())
		}
		b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/attach")
	})
	b.Run("cli", benchmarkAttachCLI)
	b.Run("200-agents", benchmarkAttach200)
	b.Run("1000-agents-10x100", func(b *testing.B) { benchmarkAttachMany(b, 10, 100) })
	b.Run("1000-agents-100x10", func(b *testing.B) { benchmarkAttachMany(b, 100, 10) })
}

// nopOutput discards a Local's output.
type nopOutput struct{}

func (nopOutput) Emit(string, []any)    {}
func (nopOutput) Print(byte, string)    {}
func (nopOutput) Fault(string)          {}
func (nopOutput) Subscribed(*match.Set) {}
func (nopOutput) Detach(string)         {}

// buildCLI builds the jstrace binary once per benchmark run.
func buildCLI(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "jstrace")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/jstrace")
	cmd.Dir = ".." // the jstrace module
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		b.Fatal(err)
	}
	return bin
}

// benchmarkAttachCLI: the real jstrace binary, from exec to the first event
// printed, against an agent in this process found through discovery.
func benchmarkAttachCLI(b *testing.B) {
	bin := buildCLI(b)
	runDir := filepath.Join(b.TempDir(), "run")
	a, err := agent.Listen(agent.Options{RunDir: runDir, Title: "bench", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	reportAttach(b, bin, runDir, "bench", 1, "ms/attach")
}

// benchmarkAttach200: 200 agents in this process (one harness process, as
// the issue allows), registered for discovery; the real jstrace binary
// attaches to all of them. Measured from exec to the 200th first event.
func benchmarkAttach200(b *testing.B) {
	bin := buildCLI(b)
	runDir := filepath.Join(b.TempDir(), "run")
	var agents []*agent.Agent
	for i := range 200 {
		a, err := agent.Listen(agent.Options{RunDir: runDir, Title: fmt.Sprintf("bench-%d", i), Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		agents = append(agents, a)
	}
	defer func() {
		for _, a := range agents {
			a.Close()
		}
	}()
	reportAttach(b, bin, runDir, "bench-*", 200, "ms/200-agents")
}

// reportAttach times b.N runs of the jstrace binary against the agents
// titled title, each until n first events arrive, and reports the mean in
// milliseconds as unit.
func reportAttach(b *testing.B, bin, runDir, title string, n int, unit string) {
	script := filepath.Join(b.TempDir(), "attach.go")
	os.WriteFile(script, []byte(attachScript), 0o600)
	b.ResetTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		total += timeFirstEvents(b, bin, runDir, script, title, n)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), unit)
}

// timeFirstEvents runs the jstrace binary on the agents whose title
// matches title, and times it from exec to the n-th first event printed.
func timeFirstEvents(b *testing.B, bin, runDir, script, title string, n int) time.Duration {
	start := time.Now()
	cmd := exec.Command(bin, "-t", title, script)
	cmd.Env = append(os.Environ(), "JSTRACE_RUN_DIR="+runDir)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	r := bufio.NewReader(out)
	for seen := 0; seen < n; {
		line, err := r.ReadString('\n')
		if err != nil {
			b.Fatalf("after %d first events: %v", seen, err)
		}
		if strings.HasPrefix(line, "first event from") {
			seen++
		}
	}
	return time.Since(start)
}
