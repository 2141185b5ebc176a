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

// A span that ends while Shutdown runs (its OnSpanEnd delivery already
// under way when the pipeline unregisters) is appended to the queue of a
// worker that has returned: neither exported nor counted as dropped, and
// Stats().Queued stays at 1 forever.
func TestReviewSpanEndingDuringShutdownCounted(t *testing.T) {
	in, release, ended := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var once bool
	stop := jstrace.OnSpanEnd(func(*jstrace.SpanData) { // registered first: called first
		if !once {
			once = true
			close(in)
			<-release
		}
	})
	defer stop()
	p := start(t, export.Options{Exporters: []export.Exporter{newRecorder()}, Interval: 5 * time.Millisecond})
	go func() {
		_, s := jstrace.StartSpan(context.Background(), "late")
		s.End()
		close(ended)
	}()
	<-in
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	close(release)
	<-ended
	if st := p.Stats(); st.Exported+st.Dropped != 1 {
		t.Errorf("stats %+v: the late span is neither exported nor counted as dropped", st)
	}
}
