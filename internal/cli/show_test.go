package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/golden"
	"github.com/jstrace-go/jstrace/internal/tracestore"
)

const checkoutID = "4bf92f3577b34da6a3ce929d0e0e4736"

var st0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// stored builds a stored span: ids are 16 hex digits' tails, start and
// d in milliseconds.
func stored(id, parent, service, op string, start, d float64) tracestore.Span {
	pad := func(s string) string {
		if s == "" {
			return ""
		}
		return strings.Repeat("0", 16-len(s)) + s
	}
	return tracestore.Span{TraceID: checkoutID, SpanID: pad(id), ParentID: pad(parent), Service: service, Operation: op,
		Start: st0.Add(time.Duration(start * 1e6)), Duration: time.Duration(d * 1e6)}
}

// checkoutSpans is a three-service trace, in the store's order (by
// start): payments' charge is the bottleneck and failed.
func checkoutSpans() []tracestore.Span {
	charge := stored("c1", "b1", "payments", "charge", 50, 830)
	charge.Error, charge.ErrorType = "card declined", "*payments.DeclinedError"
	return []tracestore.Span{
		stored("a1", "", "gateway", "POST /checkout", 0, 900),
		stored("a2", "a1", "gateway", "auth", 5, 20),
		stored("b1", "a1", "orders", "create order", 30, 850),
		stored("b2", "b1", "orders", "SELECT stock", 35, 15),
		charge,
		stored("c2", "c1", "payments", "tokenise card", 52, 18),
		stored("a3", "a1", "gateway", "render", 882, 13),
	}
}

// show runs jstrace trace id against store with COLUMNS=columns, and
// returns its stdout, stderr and exit code.
func show(t *testing.T, store *fakeStore, id string, columns string) (string, string, int) {
	t.Helper()
	t.Setenv("COLUMNS", columns)
	var stdout, stderr bytes.Buffer
	var where string
	opts := &ShowOptions{IO: &output{stdout: &stdout, stderr: &stderr}, TraceID: id,
		StoreOptions: StoreOptions{Store: "/tmp/traces.db", open: store.opener(&where)}}
	err := runShow(context.Background(), opts)
	if err != nil {
		opts.IO.errorf("%v", err)
	}
	return stdout.String(), stderr.String(), exitCode(err)
}

func TestShowGolden(t *testing.T) {
	for _, tt := range []struct {
		name    string
		columns string
		spans   []tracestore.Span
	}{
		{"checkout-40", "40", checkoutSpans()},
		{"checkout-80", "80", checkoutSpans()},
		{"checkout-200", "200", checkoutSpans()},
		{"checkout-default-width", "", checkoutSpans()},
		{"root-not-arrived", "100", checkoutSpans()[1:]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := newFakeStore(tt.spans...)
			stdout, stderr, code := show(t, store, strings.ToUpper(checkoutID), tt.columns)
			if code != ExitOK || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			if !store.closed {
				t.Error("the store was not closed")
			}
			golden.Check(t, "show-"+tt.name, stdout)
		})
	}
}

func TestShowFailures(t *testing.T) {
	secret := "redis://jstrace:hunter2-0451@127.0.0.1:6379/0"
	for _, tt := range []struct {
		name   string
		id     string
		store  string
		err    error // of the store's reads
		open   error // of opening the store
		code   int
		stderr string
	}{
		{"not found", "0123456789abcdef0123456789abcdef", "", nil, nil, ExitNotFound, "trace 0123456789abcdef0123456789abcdef is not in"},
		{"short id", "4bf92f35", "", nil, nil, ExitUsage, `trace ID "4bf92f35": want 32 hex digits`},
		{"not hex", strings.Repeat("g", 32), "", nil, nil, ExitUsage, "want 32 hex digits"},
		{"zero", strings.Repeat("0", 32), "", nil, nil, ExitUsage, "all zero"},
		{"hostile id", "\x1b]0;pwned\x07" + strings.Repeat("a", 60), "", nil, nil, ExitUsage, `trace ID "\x1b]0;pwned\a`},
		{"read fails", checkoutID, secret, errors.New("dial tcp: auth hunter2-0451 refused"), nil, ExitStore, "read store redis://jstrace:xxxxx@127.0.0.1:6379/0: dial tcp: auth xxxxx refused"},
		{"open fails", checkoutID, secret, nil, errors.New("connect " + secret + ": refused"), ExitStore, "connect redis://jstrace:xxxxx@127.0.0.1:6379/0: refused"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := newFakeStore(checkoutSpans()...)
			store.err = tt.err
			var stdout, stderr bytes.Buffer
			opts := &ShowOptions{IO: &output{stdout: &stdout, stderr: &stderr}, TraceID: tt.id,
				StoreOptions: StoreOptions{Store: tt.store, open: func(context.Context, string) (tracestore.Store, error) {
					if tt.open != nil {
						return nil, tt.open
					}
					return store, nil
				}}}
			err := runShow(context.Background(), opts)
			if err != nil {
				opts.IO.errorf("%v", err)
			}
			if got := exitCode(err); got != tt.code {
				t.Errorf("exit %d, want %d (%v)", got, tt.code, err)
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr %q, want %q in it", stderr.String(), tt.stderr)
			}
			if strings.Contains(stderr.String(), "0451") || stdout.Len() > 0 {
				t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
			}
			if tt.err != nil && !errors.Is(err, tt.err) {
				t.Errorf("%v does not wrap the store's error", err)
			}
		})
	}
}

func TestTerminalOfPipesAndFiles(t *testing.T) {
	t.Setenv("COLUMNS", "")
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, w := range []io.Writer{f, &bytes.Buffer{}} {
		if width, color := terminal(w); width != 80 || color {
			t.Errorf("terminal(%T) = %d, %v; want 80 columns, no colours", w, width, color)
		}
	}
	t.Setenv("COLUMNS", "5000")
	if width, _ := terminal(f); width != 1024 {
		t.Errorf("COLUMNS=5000: width %d, want 1024", width)
	}
}

// BenchmarkShow is jstrace trace on a 1,000-span trace from the store to
// the terminal, less the store's read (the floor: under 100 ms).
func BenchmarkShow(b *testing.B) {
	spans := thousandSpans(st0)
	store := newFakeStore(spans...)
	b.Setenv("COLUMNS", "200")
	var where string
	for b.Loop() {
		store.closed = false
		opts := &ShowOptions{IO: &output{stdout: io.Discard, stderr: io.Discard}, TraceID: checkoutID,
			StoreOptions: StoreOptions{open: store.opener(&where)}}
		if err := runShow(context.Background(), opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(spans))/b.Elapsed().Seconds(), "spans/s")
}

// thousandSpans is a trace of 1,000 spans of three services from base,
// four children a span.
func thousandSpans(base time.Time) []tracestore.Span {
	var spans []tracestore.Span
	for i := range 1000 {
		s := stored("", "", []string{"gateway", "orders", "payments"}[i%3], "operation", float64(i), float64(2000-i))
		s.Start = s.Start.Add(base.Sub(st0))
		s.SpanID = spanHex(i + 1)
		if i > 0 {
			s.ParentID = spanHex(i/4 + 1)
		}
		spans = append(spans, s)
	}
	return spans
}

func spanHex(i int) string { return fmt.Sprintf("%016x", i) }
