package otel_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/otel"
)

// An OpenTelemetry span started under a jstrace span joins its trace.
func ExampleSpanContext() {
	ctx, span := jstrace.StartSpan(context.Background(), "handle order")
	defer span.End()

	otelCtx := trace.ContextWithSpanContext(ctx, otel.SpanContext(span))
	sc := trace.SpanContextFromContext(otelCtx)
	fmt.Println(sc.TraceID().String() == span.TraceID().String(), sc.SpanID().String() == span.SpanID().String(), sc.IsSampled())
	// Output: true true true
}

// Export spans to an OTLP/HTTP receiver (here a stand-in for a collector).
func ExampleNewOTLP() {
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		fmt.Println(r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("X-Api-Key"))
	}))
	defer collector.Close()

	exp, err := otel.NewOTLP(context.Background(), otel.OTLPOptions{
		Endpoint: collector.URL, // else $JSTRACE_OTLP_ENDPOINT or http://127.0.0.1:4318
		Headers:  map[string]string{"X-Api-Key": "secret"},
		Timeout:  5 * time.Second,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer exp.Shutdown(context.Background())

	span := &jstrace.SpanData{
		TraceID: jstrace.TraceID{1}, SpanID: jstrace.SpanID{2},
		Operation: "GET /orders", Start: time.Now(), Duration: time.Millisecond,
	}
	fmt.Println(exp.ExportSpans(context.Background(), []*jstrace.SpanData{span}))
	// Output:
	// POST /v1/traces application/x-protobuf secret
	// <nil>
}
