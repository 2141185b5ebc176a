package jstrace_test

import (
	"context"
	"fmt"

	"github.com/jstrace-go/jstrace"
)

// A producer injects its span into a message's headers; the consumer
// extracts it, and its span continues the producer's trace.
func ExampleInject() {
	// The producer's span; IDs are random, so this one continues a known
	// trace to print stable headers.
	parent := jstrace.ContextWithRemoteParent(context.Background(), jstrace.SpanContext{
		TraceID: mustParseTrace("4bf92f3577b34da6a3ce929d0e0e4736"),
		SpanID:  mustParseSpan("00f067aa0ba902b7"),
		Sampled: true,
	})

	headers := jstrace.MapCarrier{}
	jstrace.Inject(parent, headers)
	fmt.Println(headers["traceparent"])
	fmt.Println(headers["x-trace-id"], headers["x-span-id"])
	// Output:
	// 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
	// 4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7
}

func ExampleExtract() {
	// Headers of a message a consumer received.
	headers := jstrace.MapCarrier{
		"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"tracestate":  "rojo=00f067aa0ba902b7",
	}
	ctx := jstrace.Extract(context.Background(), headers)
	ctx, span := jstrace.StartSpan(ctx, "handle order")
	defer span.End()
	_ = ctx // pass it on: spans started from it are children of span

	fmt.Println("trace: ", span.TraceID())
	fmt.Println("parent:", span.ParentID())
	fmt.Println("sampled:", span.IsSampled())

	// A malformed header starts a new trace and is never kept.
	bad := jstrace.MapCarrier{"traceparent": "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
	fmt.Println("parent from bad header:", jstrace.SpanFromContext(jstrace.Extract(context.Background(), bad)))
	// Output:
	// trace:  4bf92f3577b34da6a3ce929d0e0e4736
	// parent: 00f067aa0ba902b7
	// sampled: true
	// parent from bad header: <nil>
}

func mustParseTrace(s string) jstrace.TraceID {
	t, err := jstrace.ParseTraceID(s)
	if err != nil {
		panic(err)
	}
	return t
}

func mustParseSpan(s string) jstrace.SpanID {
	id, err := jstrace.ParseSpanID(s)
	if err != nil {
		panic(err)
	}
	return id
}
