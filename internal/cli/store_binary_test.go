package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/golden"
	"github.com/jstrace-go/jstrace/internal/tracestore"
)

// TestStoreCommandsBinary runs the built jstrace against a real embedded
// store file: trace, slow, errors and recent, as a user would. It skips
// while the embedded store is not built (tracestore's stub).
func TestStoreCommandsBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI")
	}
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "traces.db")
	store, err := tracestore.Open(ctx, db, tracestore.Options{})
	if err != nil && strings.Contains(err.Error(), "not built yet") {
		t.Skipf("the embedded store is not built yet (%v): run after it lands", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	// The golden trace, moved to a minute ago: the waterfall shows no
	// absolute time, and today's errors include it.
	base := time.Now().UTC().Truncate(time.Second).Add(-time.Minute)
	spans := checkoutSpans()
	for i := range spans {
		spans[i].Start = spans[i].Start.Add(base.Sub(st0))
	}
	if err := store.Put(ctx, spans); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	bin := filepath.Join(dir, "jstrace")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/jstrace").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	run := func(t *testing.T, env []string, args ...string) (string, string, int) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), append([]string{"COLUMNS=80", "NO_COLOR=", "TZ=UTC", EnvStore + "="}, env...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatal(err)
		}
		return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
	}
	jsonLine := func(t *testing.T, out string) map[string]any {
		t.Helper()
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		var m map[string]any
		if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &m) != nil {
			t.Fatalf("want one JSON object, got %q", out)
		}
		return m
	}

	t.Run("trace", func(t *testing.T) {
		stdout, stderr, code := run(t, nil, "trace", "--store", db, checkoutID)
		if code != ExitOK || stderr != "" {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		golden.Check(t, "show-checkout-80", stdout) // what TestShowGolden prints from its fake store
	})
	t.Run("trace from JSTRACE_STORE", func(t *testing.T) {
		stdout, _, code := run(t, []string{EnvStore + "=file:" + db}, "trace", strings.ToUpper(checkoutID))
		if code != ExitOK || !strings.Contains(stdout, "◀ bottleneck") {
			t.Fatalf("exit %d: %s", code, stdout)
		}
	})
	t.Run("trace not found", func(t *testing.T) {
		_, stderr, code := run(t, nil, "trace", "--store", db, "0af7651916cd43dd8448eb211c80319c")
		if code != ExitNotFound || !strings.Contains(stderr, "trace 0af7651916cd43dd8448eb211c80319c is not in "+db) {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	})
	t.Run("slow", func(t *testing.T) {
		stdout, _, code := run(t, nil, "slow", "--store", db, "--since", "1h", "--json")
		m := jsonLine(t, stdout)
		if code != ExitOK || m["trace_id"] != checkoutID || m["service"] != "gateway" || m["operation"] != "POST /checkout" ||
			m["duration_ms"] != 900.0 || m["spans"] != 7.0 || m["error"] != "card declined" ||
			!reflect.DeepEqual(m["bottleneck"], map[string]any{"span_id": "00000000000000c1", "service": "payments", "operation": "charge", "self_ms": 812.0}) {
			t.Fatalf("exit %d: %v", code, m)
		}
	})
	t.Run("errors", func(t *testing.T) {
		stdout, _, code := run(t, nil, "errors", "--store", db, "--day", base.Format(time.DateOnly), "--service", "payments", "--json")
		if m := jsonLine(t, stdout); code != ExitOK || m["trace_id"] != checkoutID || m["error"] != "card declined" {
			t.Fatalf("exit %d: %v", code, m)
		}
	})
	t.Run("recent", func(t *testing.T) {
		stdout, _, code := run(t, nil, "recent", "--store", db)
		lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
		if code != ExitOK || len(lines) != 2 || !strings.HasPrefix(lines[0], "TRACE ID") || !strings.HasPrefix(lines[1], checkoutID+"  ") ||
			!strings.Contains(lines[1], "  payments: charge 812.00ms  ") {
			t.Fatalf("exit %d:\n%s", code, stdout)
		}
	})
	t.Run("nothing matches", func(t *testing.T) {
		stdout, stderr, code := run(t, nil, "slow", "--store", db, "--service", "nosuch")
		if code != ExitOK || stdout != "" || !strings.Contains(stderr, `no traces in `+db+` with service "nosuch"`) {
			t.Fatalf("exit %d: %q %q", code, stdout, stderr)
		}
	})
}

// BenchmarkShowFromFile is jstrace trace on a 1,000-span trace of a real
// embedded store, from opening the store to the waterfall written (the
// issue's floor: under 100 ms). It skips while the embedded store is not
// built.
func BenchmarkShowFromFile(b *testing.B) {
	ctx := context.Background()
	db := filepath.Join(b.TempDir(), "traces.db")
	store, err := tracestore.Open(ctx, db, tracestore.Options{})
	if err != nil && strings.Contains(err.Error(), "not built yet") {
		b.Skipf("the embedded store is not built yet (%v)", err)
	}
	if err != nil {
		b.Fatal(err)
	}
	spans := thousandSpans(time.Now().Add(-time.Minute))
	if err := store.Put(ctx, spans); err != nil {
		b.Fatal(err)
	}
	store.Close()
	b.Setenv("COLUMNS", "200")
	for b.Loop() {
		opts := &ShowOptions{IO: &output{stdout: io.Discard, stderr: io.Discard}, TraceID: checkoutID, StoreOptions: StoreOptions{Store: db}}
		if err := runShow(ctx, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(spans))/b.Elapsed().Seconds(), "spans/s")
}
