package otel_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
)

// codedError reports a code and data, as jstrace's SpanError reads them.
type codedError struct{}

func (codedError) Error() string     { return "card declined" }
func (codedError) ErrorCode() string { return "E42" }
func (codedError) ErrorData() any    { return map[string]int{"attempt": 2} }

// upstream is the span ID of the remote parent of testTrace's root.
var upstream = jstrace.SpanID{0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18}

// testTrace records a small trace with real spans under service and
// returns root, db child, failed child, in that order. The root's parent
// is the remote span upstream (set on the recorded data: it came from
// another process).
func testTrace(t testing.TB, service string) []*jstrace.SpanData {
	t.Helper()
	old := jstrace.Tracing()
	jstrace.SetTracing(jstrace.TracingOptions{Service: service, Version: "1.2.3", Tags: []any{"region", "eu-1", "shard", 7}, ErrorStack: true})
	t.Cleanup(func() { jstrace.SetTracing(old) })

	var mu sync.Mutex
	var got []*jstrace.SpanData
	stop := jstrace.OnSpanEnd(func(d *jstrace.SpanData) {
		mu.Lock()
		got = append(got, d)
		mu.Unlock()
	})
	defer stop()

	ctx, root := jstrace.StartSpan(context.Background(), "GET /checkout", "span.kind", "server", "http.method", "GET")
	root.SetTag("http.status_code", 502)
	root.SetTag("ratio", 0.25)
	root.SetTag("cached", false)
	root.SetTag("budget", 1500*time.Millisecond)
	root.SetTag("big", uint64(1<<63))
	root.SetTag("list", []string{"a", "b"})
	_, db := jstrace.StartSpan(ctx, "SELECT orders", "db.system", "sqlite")
	db.Log("query done", "rows", 3, "table", "orders")
	db.End()
	_, pay := jstrace.StartSpan(ctx, "charge card", "span.kind", "client")
	pay.SetError(fmt.Errorf("charge: %w", codedError{}))
	pay.End()
	root.End()

	mu.Lock()
	defer mu.Unlock()
	byID := map[jstrace.SpanID]*jstrace.SpanData{}
	for _, d := range got {
		byID[d.SpanID] = d
	}
	r := *byID[root.SpanID()]
	r.ParentID, r.RemoteParent = upstream, true
	return []*jstrace.SpanData{&r, byID[db.SpanID()], byID[pay.SpanID()]}
}
