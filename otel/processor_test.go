package otel_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"

	"github.com/jstrace-go/jstrace"
	jotel "github.com/jstrace-go/jstrace/otel"
)

// An OpenTelemetry-instrumented service's spans fire jstrace's span probes,
// with the fields jstrace's own spans give them.
func TestSpanProcessor(t *testing.T) {
	res := resource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceName("billing"))
	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithSpanProcessor(jotel.NewSpanProcessor()))
	defer tp.Shutdown(context.Background())
	tr := tp.Tracer("test")

	var mu sync.Mutex
	var got []string
	stop, err := jstrace.On("span:*", func(e jstrace.Event) {
		kv, _ := e.Args()
		mu.Lock()
		got = append(got, e.Name()+" "+fmt.Sprint(kv))
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, root := tr.Start(context.Background(), "checkout")
	_, child := tr.Start(ctx, "charge")
	child.RecordError(errors.New("declined"))
	child.SetStatus(codes.Error, "card declined")
	child.End()
	root.End()
	stop()

	tid, rid, cid := root.SpanContext().TraceID().String(), root.SpanContext().SpanID().String(), child.SpanContext().SpanID().String()
	want := []string{
		"span:start [trace_id " + tid + " span_id " + rid + " parent_id  service billing operation checkout]",
		"span:start [trace_id " + tid + " span_id " + cid + " parent_id " + rid + " service billing operation charge]",
		"span:end [trace_id " + tid + " span_id " + cid + " parent_id " + rid + " service billing operation charge duration D error card declined]",
		"span:end [trace_id " + tid + " span_id " + rid + " parent_id  service billing operation checkout duration D]",
	}
	dur := regexp.MustCompile(`duration [0-9.]+[µnm]?s`)
	for i := range got {
		got[i] = dur.ReplaceAllString(got[i], "duration D")
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
