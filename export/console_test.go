package export

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/golden"
)

var (
	t0   = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	res  = &jstrace.Resource{Service: "gateway"}
	tid  = jstrace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	tid2 = jstrace.TraceID{15: 2}
)

// span builds a SpanData: id and parent are small numbers (0: none),
// start and d in milliseconds from t0.
func span(trace jstrace.TraceID, id, parent byte, op string, start, d float64) *jstrace.SpanData {
	return &jstrace.SpanData{
		TraceID:   trace,
		SpanID:    jstrace.SpanID{7: id},
		ParentID:  jstrace.SpanID{7: parent},
		Resource:  res,
		Operation: op,
		Start:     t0.Add(time.Duration(start * 1e6)),
		Duration:  time.Duration(d * 1e6),
	}
}

func withError(d *jstrace.SpanData, typ, msg string) *jstrace.SpanData {
	d.Error = &jstrace.SpanError{Type: typ, Message: msg}
	return d
}

// orders is a trace as it comes: children end before their parents.
func orders() []*jstrace.SpanData {
	return []*jstrace.SpanData{
		span(tid, 3, 2, "SELECT users", 1.2, 0.8),
		span(tid, 2, 1, "load user", 1, 2.1),
		span(tid, 5, 4, "POST payments", 3.5, 7.9),
		withError(span(tid, 4, 1, "charge card", 3.4, 8.2), "*payments.DeclinedError", "payment declined"),
		span(tid, 6, 1, "render", 11.8, 0.004),
		span(tid, 1, 0, "GET /orders/{id}", 0, 12.35),
	}
}

func TestConsoleGolden(t *testing.T) {
	deep := []*jstrace.SpanData{}
	for i := byte(1); i <= 20; i++ {
		deep = append([]*jstrace.SpanData{span(tid, i, i-1, "level", float64(i), 40-float64(i))}, deep...)
	}
	tests := []struct {
		name  string
		opts  ConsoleOptions
		spans []*jstrace.SpanData
	}{
		{"orders", ConsoleOptions{}, orders()},
		{"orders-wide", ConsoleOptions{Width: 120, GaugeWidth: 60}, orders()},
		{"orders-color", ConsoleOptions{Color: ColorAlways}, orders()},
		{"remote-parent", ConsoleOptions{}, func() []*jstrace.SpanData {
			s := orders()
			root := s[len(s)-1]
			root.ParentID, root.RemoteParent = jstrace.SpanID{7: 99}, true
			return s
		}()},
		{"max-spans", ConsoleOptions{MaxSpans: 3}, orders()},
		{"deep", ConsoleOptions{}, deep},
		{"hostile-names", ConsoleOptions{}, []*jstrace.SpanData{
			withError(span(tid, 2, 1, "evil\x1b[2J\x1b]0;pwned\x07 op\nnext", 0, 1), "*errors.errorString", "bad\rinput\xff"),
			span(tid, 1, 0, strings.Repeat("long operation name ", 10), 0, 2),
		}},
		{"interleaved", ConsoleOptions{}, []*jstrace.SpanData{
			span(tid, 2, 1, "a child", 1, 1),
			span(tid2, 12, 11, "b child", 0, 3),
			span(tid, 1, 0, "a root", 0, 3),
			span(tid2, 11, 0, "b root", 0, 5),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			c := Console(&out, tt.opts)
			if err := c.ExportSpans(context.Background(), tt.spans); err != nil {
				t.Fatal(err)
			}
			if err := c.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, tt.name, out.String())
		})
	}
}

// A trace whose local root does not end within MaxWait is printed as
// partial, counted, and only once; so are the traces left at Shutdown.
func TestConsolePartial(t *testing.T) {
	var out bytes.Buffer
	c := Console(&out, ConsoleOptions{MaxWait: time.Minute})
	now := t0
	c.now = func() time.Time { return now }
	s := orders()
	ctx := context.Background()
	c.ExportSpans(ctx, s[:2])
	if out.Len() != 0 {
		t.Fatalf("printed before the root:\n%s", &out)
	}
	now = now.Add(59 * time.Second)
	c.tick(now)
	if out.Len() != 0 {
		t.Fatalf("printed before MaxWait:\n%s", &out)
	}
	c.tick(now.Add(time.Second))
	golden.Check(t, "partial", out.String())
	out.Reset()
	c.ExportSpans(ctx, s[2:3])
	c.Shutdown(ctx)
	if !strings.Contains(out.String(), "partial") || strings.Count(out.String(), "trace ") != 1 {
		t.Errorf("at Shutdown:\n%s", &out)
	}
	if st := c.Stats(); st != (ConsoleStats{Partial: 2}) {
		t.Errorf("stats %+v", st)
	}
}

// Beyond MaxTraces, spans of new traces are dropped and counted.
func TestConsoleMaxTraces(t *testing.T) {
	var out bytes.Buffer
	c := Console(&out, ConsoleOptions{MaxTraces: 2})
	var batch []*jstrace.SpanData
	for i := byte(1); i <= 5; i++ {
		batch = append(batch, span(jstrace.TraceID{0: i}, 2, 1, "child", 0, 1))
	}
	c.ExportSpans(context.Background(), batch)
	c.ExportSpans(context.Background(), []*jstrace.SpanData{span(jstrace.TraceID{0: 1}, 1, 0, "root", 0, 2)})
	if st := c.Stats(); st != (ConsoleStats{Printed: 1, Dropped: 3}) {
		t.Errorf("stats %+v", st)
	}
	// The finished trace freed its slot.
	c.ExportSpans(context.Background(), []*jstrace.SpanData{span(jstrace.TraceID{0: 9}, 1, 0, "root", 0, 2)})
	if st := c.Stats(); st != (ConsoleStats{Printed: 2, Dropped: 3}) {
		t.Errorf("stats %+v", st)
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	w.n++
	return 0, errors.New("disk full")
}

// Each trace is one Write; a write error is the export's.
func TestConsoleWrites(t *testing.T) {
	w := &failWriter{}
	c := Console(w, ConsoleOptions{})
	s := orders()
	s = append(s, span(tid2, 1, 0, "other", 0, 1))
	if err := c.ExportSpans(context.Background(), s); err == nil || w.n != 2 {
		t.Errorf("err %v after %d writes, want an error after 2", err, w.n)
	}
}
