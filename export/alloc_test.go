package export_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/export"
)

// Queueing a span for export allocates nothing beyond what recording it
// does (the span's context and its SpanData).
func TestEnqueueAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	ctx := context.Background()
	run := func() {
		_, s := jstrace.StartSpan(ctx, "op")
		s.End()
	}
	stop := jstrace.OnSpanEnd(func(*jstrace.SpanData) {})
	bare := testing.AllocsPerRun(1000, run)
	stop()
	start(t, export.Options{Exporters: []export.Exporter{newRecorder(), newRecorder()}, QueueSize: 1 << 14, Interval: time.Hour})
	run() // the queues' first slices
	exported := testing.AllocsPerRun(1000, run)
	if exported > bare {
		t.Errorf("%v allocations per exported span, %v per recorded span", exported, bare)
	}
}

// ColorAuto paints only on a terminal: a file is none.
func TestConsoleNoColorOnFile(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := export.Console(f, export.ConsoleOptions{})
	d := &jstrace.SpanData{TraceID: jstrace.TraceID{1}, SpanID: jstrace.SpanID{1}, Operation: "op", Start: time.Now(), Duration: time.Millisecond}
	if err := c.ExportSpans(context.Background(), []*jstrace.SpanData{d}); err != nil {
		t.Fatal(err)
	}
	out, _ := os.ReadFile(f.Name())
	if !strings.Contains(string(out), "op") || strings.Contains(string(out), "\x1b") {
		t.Errorf("output %q", out)
	}
}
