package cli

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"testing"
)

// TestReviewUnreachableIsExitConnect: when every selected agent fails to
// connect (refused, wrong token, TLS), dump, probes and ls exit with
// ExitConnect as trace does ("no matching agent could be attached"), not
// ExitNoAgents ("no agent matched the selection"): nothing was known to
// not match.
func TestReviewUnreachableIsExitConnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // now refused
	out := filepath.Join(t.TempDir(), "d.jsonl")
	for _, args := range [][]string{
		{"dump", "--agents", addr, "-o", out},
		{"probes", "--agents", addr, "--for", "0"},
		{"ls", "--agents", addr},
	} {
		t.Run(args[0], func(t *testing.T) {
			clearEnv(t)
			var stdout, stderr bytes.Buffer
			if code := Run(context.Background(), args, &stdout, &stderr); code != ExitConnect {
				t.Errorf("exit %d, want %d (ExitConnect); stderr:\n%s", code, ExitConnect, &stderr)
			}
		})
	}
}
