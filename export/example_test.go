package export_test

import (
	"context"
	"os"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/export"
)

// The console exporter prints a trace when its local root ends; here,
// spans recorded earlier are handed to it directly.
func ExampleConsole() {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	res := &jstrace.Resource{Service: "orders"}
	trace := jstrace.TraceID{0: 0x4b, 15: 0x36}
	span := func(id, parent byte, op string, start, d time.Duration) *jstrace.SpanData {
		return &jstrace.SpanData{TraceID: trace, SpanID: jstrace.SpanID{7: id}, ParentID: jstrace.SpanID{7: parent},
			Resource: res, Operation: op, Start: t0.Add(start), Duration: d}
	}
	charge := span(3, 1, "charge card", 3*time.Millisecond, 8*time.Millisecond)
	charge.Error = &jstrace.SpanError{Type: "*payments.Declined", Message: "card declined"}

	c := export.Console(os.Stdout, export.ConsoleOptions{Width: 72, Color: export.ColorNever})
	c.ExportSpans(context.Background(), []*jstrace.SpanData{
		span(2, 1, "load order", time.Millisecond, 2*time.Millisecond),
		charge,
		span(1, 0, "POST /orders", 0, 12*time.Millisecond), // the root: printed now
	})
	// Output:
	// trace 4b000000000000000000000000000036  3 spans  12.00ms
	// orders: POST /orders            [████████████████████████████]   12.00ms
	//   orders: load order            [..█████.....................]    2.00ms
	//   orders: charge card           [......████████████████████..]    8.00ms
	//     ! card declined (*payments.Declined)
}

// A service without the agent starts a pipeline itself, and flushes it
// before it exits.
func ExampleStart() {
	p, err := export.Start(export.Options{
		Exporters: []export.Exporter{export.Console(os.Stderr, export.ConsoleOptions{})},
	})
	if err != nil {
		panic(err)
	}
	defer p.Shutdown(context.Background())

	_, span := jstrace.StartSpan(context.Background(), "startup")
	span.End()
}
