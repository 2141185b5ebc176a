package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// A store collect cannot open exits ExitStore, as trace, slow and errors
// do and as the exit code table says ("the trace store could not be
// opened or read"), and never shows its password.
func TestReviewCollectStoreExitCode(t *testing.T) {
	clearEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := Run(ctx, []string{"collect", "--listen", "127.0.0.1:0", "--store", "redis://:s3cret@127.0.0.1:1/0"}, &stdout, &stderr)
	if code != ExitStore {
		t.Errorf("exit %d, want ExitStore (%d):\n%s", code, ExitStore, stderr.String())
	}
	if strings.Contains(stderr.String(), "s3cret") {
		t.Errorf("stderr shows the password:\n%s", stderr.String())
	}
}
