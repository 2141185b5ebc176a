package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/recording"
)

// replayScript counts request:end per process in Remote and reports each
// recorded second to Local, which prints what arrives and, every recorded
// second, what it saw itself.
const replayScript = `package main

import (
	"fmt"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	n := 0
	traces.On("request:end", func(t *script.Trace) { n += t.Int("n") })
	traces.Every(time.Second, func() { traces.Emit("count", "n", n); n = 0 })
}

func Local(traces *script.Traces) {
	seen := 0
	traces.On("request:end", func(t *script.Trace) { seen++ })
	traces.On("count", func(t *script.Trace) {
		fmt.Printf("%s %s %d\n", t.Time.UTC().Format("15:04:05.000"), t.Title, t.Int("n"))
	})
	traces.Every(time.Second, func() { fmt.Printf("local saw %d\n", seen); seen = 0 })
}
`

// writeRecording records, for each title, one request:end every 250ms
// for 2.6 recorded seconds, each with n=1 (title "a") or n=10 ("b").
func writeRecording(t *testing.T, path string) {
	t.Helper()
	w, err := recording.Create(path, recording.Header{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for i := range 11 {
		for pid, title := range []string{"a", "b"} {
			batch := watchBatch(t, "request:end", []any{"n", 1 + 9*pid})
			rec := batch[1:] // one record: its length fits in one byte
			rec = append([]byte(nil), rec...)
			rec[0] = byte(protocol.RecordEvent) // a probe's, not an Emit's
			at := 1 + 1 + len("request:end")
			ts := t0.Add(time.Duration(i) * 250 * time.Millisecond).UnixNano()
			for k := range 8 {
				rec[at+k] = byte(ts >> (8 * k))
			}
			if err := w.Write(recording.Record{Hostname: "h", Title: title, PID: pid + 1, Event: rec}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// Replaying fast, per-process Remotes count on recorded time: each
// recorded second holds 4 traces of each process (250ms apart), the
// counts reach Local timed by the recorded clock, and the output is the
// same every time.
func TestReplayFast(t *testing.T) {
	dir := t.TempDir()
	rec, script := filepath.Join(dir, "r.jsonl"), filepath.Join(dir, "s.go")
	writeRecording(t, rec)
	os.WriteFile(script, []byte(replayScript), 0o644)
	// Every runs once more at the end (engine.finish): the last half
	// second's counts, then Local's.
	want := "local saw 8\n" +
		"00:00:01.000 a 4\n00:00:01.000 b 40\n" +
		"local saw 8\n" +
		"00:00:02.000 a 4\n00:00:02.000 b 40\n" +
		"00:00:02.500 a 3\n00:00:02.500 b 30\n" +
		"local saw 6\n"
	for range 3 {
		var stdout, stderr bytes.Buffer
		start := time.Now()
		code := Run(context.Background(), []string{"replay", "--fast", rec, script}, &stdout, &stderr)
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, &stderr)
		}
		if time.Since(start) > 2*time.Second {
			t.Errorf("--fast took %v for 2.5 recorded seconds", time.Since(start))
		}
		// Local's tick and the counts due at the same time may come in
		// either order between engines: compare the lines as sets.
		if got := sortedLines(stdout.String()); got != sortedLines(want) {
			t.Errorf("stdout:\n%s\nwant:\n%s", &stdout, want)
		}
		if !strings.Contains(stderr.String(), "Remote runs here") {
			t.Errorf("stderr: %s", &stderr)
		}
	}
}

func sortedLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := range lines {
		for j := i + 1; j < len(lines); j++ {
			if lines[j] < lines[i] {
				lines[i], lines[j] = lines[j], lines[i]
			}
		}
	}
	return strings.Join(lines, "\n")
}
