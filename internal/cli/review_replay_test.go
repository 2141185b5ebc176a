package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// replay runs Remote "as in a session" (its help), but a Remote that
// ships its aggregation (traces.Ship, as jstrace agg's script and
// examples/scripts/cluster-p99.go do) failed to load: the replayed
// Remote's output was no Shipper, and the error told the user to read
// the groups "in Local" with traces.Merged, which is what the script did.
// Its shipments now reach Merged as an agent's would.
func TestReviewReplayShip(t *testing.T) {
	const src = `package main

import (
	"fmt"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	traces.Ship("reqs", traces.Aggregate("request:end", script.Agg{Of: "n"}))
}

func Local(traces *script.Traces) {
	m := traces.Merged("reqs")
	traces.OnCleanup(func() {
		for _, g := range m.Snapshot() {
			fmt.Printf("count %d sum %g max %g\n", g.Count, g.Sum, g.Max)
		}
	})
}
`
	dir := t.TempDir()
	rec, script := filepath.Join(dir, "r.jsonl"), filepath.Join(dir, "s.go")
	writeRecording(t, rec)
	if err := os.WriteFile(script, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"replay", "--fast", rec, script}, &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
	if got, want := strings.TrimSpace(stdout.String()), "count 22 sum 121 max 10"; got != want {
		t.Fatalf("stdout %q, want %q (stderr %s)", got, want, &stderr)
	}
}

// --speed NaN and --speed Inf passed the check (NaN is neither below 0
// nor 0): NaN made every due time a float-to-int conversion of NaN, and
// Inf replayed unpaced without saying so; both are usage errors, as 0 is.
func TestReviewReplaySpeedNotFinite(t *testing.T) {
	for _, v := range []string{"NaN", "Inf", "+Inf", "-Inf", "1e400"} {
		t.Run(v, func(t *testing.T) {
			got, code := parse(t, NewCmdReplay, "--speed", v, "r.jsonl", "s.go")
			if got != nil || code != ExitUsage {
				t.Fatalf("--speed %s: ran %v, exit %d, want %d", v, got != nil, code, ExitUsage)
			}
		})
	}
}
