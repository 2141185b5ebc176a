package tracestore_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/jstrace-go/jstrace/internal/tracestore"
)

// helperEnv names the store file a re-executed test binary writes to, as
// a second `jstrace collect`.
const helperEnv = "JSTRACE_TEST_WRITER_STORE"

// processBatches is how many batches each writer puts.
const processBatches = 60

// processSpans is writer w's batch i: 50 spans, 5 traces of its own.
func processSpans(w, i int) []tracestore.Span {
	g := &spanGen{perTrace: 10, trace: w<<20 | i*5}
	return g.batch(50)
}

// writerProcess puts the batches of writer 1 into the store at path.
func writerProcess(path string) error {
	s, err := tracestore.Open(context.Background(), path, benchOptions())
	if err != nil {
		return err
	}
	defer s.Close()
	for i := range processBatches {
		if err := s.Put(context.Background(), processSpans(1, i)); err != nil {
			return err
		}
	}
	return nil
}

// TestFileProcesses runs a second process writing to the store while this
// one writes and reads it: two collectors and a `jstrace slow`.
func TestFileProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "traces.db")
	s := openT(t, path)
	ctx := context.Background()
	// The file exists before the other process starts, as when a collector
	// runs: the test is of writing at once, not of creating at once.
	if err := s.Put(ctx, processSpans(3, 0)); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	done := make(chan error, 1)
	var out []byte
	go func() {
		var err error
		out, err = cmd.CombinedOutput()
		done <- err
	}()
	stop, read := make(chan struct{}), make(chan error, 1)
	var once sync.Once
	halt := func() { once.Do(func() { close(stop) }) }
	t.Cleanup(halt) // after a failed Put too
	go func() {     // a reader on the same handle, while it writes
		var err error
		for n := 0; err == nil; n++ {
			select {
			case <-stop:
				read <- nil
				return
			default:
			}
			switch n % 3 {
			case 0:
				_, err = s.Slow(ctx, tracestore.Query{Service: "dep1", Limit: tracestore.MaxLimit})
			case 1:
				_, err = s.Recent(ctx, tracestore.Query{Operation: "call 3"})
			case 2:
				_, err = s.Trace(ctx, processSpans(3, 0)[0].TraceID)
			}
		}
		read <- err
	}()
	for i := range processBatches {
		if err := s.Put(ctx, processSpans(2, i)); err != nil {
			t.Fatalf("Put while another process writes: %v", err)
		}
		if _, err := s.Slow(ctx, tracestore.Query{Limit: tracestore.MaxLimit}); err != nil {
			t.Fatalf("Slow while another process writes: %v", err)
		}
	}
	halt()
	if err := <-read; err != nil {
		t.Fatalf("reading while writing: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("writer process: %v: %s", err, out)
	}
	for _, w := range []int{1, 2} {
		for i := range processBatches {
			spans := processSpans(w, i)
			for j := 0; j < len(spans); j += 10 {
				got, err := s.Trace(ctx, spans[j].TraceID)
				if err != nil || len(got) != 10 {
					t.Fatalf("writer %d batch %d: trace %s has %d spans, %v; want 10", w, i, spans[j].TraceID, len(got), err)
				}
			}
		}
	}
}

func openT(t *testing.T, path string) tracestore.Store {
	t.Helper()
	s, err := tracestore.Open(context.Background(), path, benchOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
