package export_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/export"
)

// The console exporter drops the spans of traces past MaxTraces and only
// counts them in ConsoleStats, which nobody reads when it runs from
// JSTRACE_EXPORTERS=console: the pipeline sees a successful export and
// logs nothing. The house rule: drops counted and reported through slog.
func TestReviewConsoleDropsLogged(t *testing.T) {
	log, lb := newLog()
	var out bytes.Buffer
	c := export.Console(&out, export.ConsoleOptions{MaxTraces: 1, Color: export.ColorNever})
	p := start(t, export.Options{Exporters: []export.Exporter{c}, Interval: 5 * time.Millisecond, Logger: log})
	for range 3 { // three traces whose roots are still open: assembled, not printed
		ctx, root := jstrace.StartSpan(context.Background(), "root")
		_, child := jstrace.StartSpan(ctx, "child")
		child.End()
		_ = root
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := c.Stats().Dropped; d != 2 {
		t.Fatalf("console dropped %d spans, want 2", d)
	}
	if !strings.Contains(lb.String(), "drop") {
		t.Errorf("2 spans dropped by the console exporter, nothing logged: %q", lb.String())
	}
}
