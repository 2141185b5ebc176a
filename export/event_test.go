package export_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/export"
)

// The event exporter's span:export carries whole spans, seen by jstrace.On.
func TestEventExporter(t *testing.T) {
	type seen struct {
		strs     map[string]string
		duration time.Duration
		start    time.Time
		remote   bool
		tags     map[string]any
		logMsg   string
		logField any
	}
	var (
		mu  sync.Mutex
		got []seen
	)
	stop, err := jstrace.On("span:export", func(e jstrace.Event) {
		kv, _ := e.Args()
		s := seen{strs: map[string]string{}, tags: map[string]any{}}
		for i := 0; i+1 < len(kv); i += 2 {
			k := kv[i].(string)
			switch v := kv[i+1].(type) {
			case string:
				// Cloned: the bytes of a string field may be on the
				// emitter's stack (the IDs' hex digits are).
				s.strs[k] = strings.Clone(v)
			case time.Duration:
				s.duration = v
			case time.Time:
				s.start = v
			case bool:
				s.remote = v
			case map[string]any:
				for tk, tv := range v {
					s.tags[tk] = tv // ints and strings: copied by the assignment
				}
			case []any:
				for _, l := range v {
					m := l.(map[string]any)
					s.logMsg = m["message"].(string)
					s.logField = m["fields"].(map[string]any)["n"].(int)
				}
			}
		}
		mu.Lock()
		got = append(got, s)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	p := start(t, export.Options{Exporters: []export.Exporter{export.Event()}, Interval: time.Hour})
	ctx, root := jstrace.StartSpan(context.Background(), "GET /orders", "http.method", "GET")
	_, child := jstrace.StartSpan(ctx, "charge", "amount", 42)
	child.Log("retrying", "n", 2)
	child.SetError(errors.New("declined"))
	child.End()
	root.End()
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("%d span:export events, want 2", len(got))
	}
	c, r := got[0], got[1]
	want := map[string]string{
		"trace_id": root.TraceID().String(), "span_id": child.SpanID().String(),
		"parent_id": root.SpanID().String(), "service": "svc", "operation": "charge",
		"error": "declined", "error_type": "*errors.errorString",
	}
	for k, v := range want {
		if c.strs[k] != v {
			t.Errorf("child %s = %q, want %q", k, c.strs[k], v)
		}
	}
	if c.tags["amount"] != 42 || c.logMsg != "retrying" || c.logField != 2 || c.duration <= 0 || c.start.IsZero() || c.remote {
		t.Errorf("child event %+v", c)
	}
	if r.strs["parent_id"] != "" || r.strs["error"] != "" || r.strs["operation"] != "GET /orders" || r.tags["http.method"] != "GET" {
		t.Errorf("root event %+v", r)
	}
}

// Nobody subscribing, the event exporter does nothing.
func TestEventExporterIdle(t *testing.T) {
	d := &jstrace.SpanData{Operation: "op"}
	allocs := testing.AllocsPerRun(100, func() {
		export.Event().ExportSpans(context.Background(), []*jstrace.SpanData{d})
	})
	if allocs != 0 {
		t.Errorf("%v allocations per idle export", allocs)
	}
}
