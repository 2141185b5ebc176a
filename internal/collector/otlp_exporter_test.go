package collector

import (
	"context"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/otel"
)

// Package otel's OTLP exporter (OpenTelemetry's own client) posts to the
// receiver's /v1/traces: the spans arrive with their service, host,
// parent, error (status and exception event), tags and logs.
func TestReceiverFromOTLPExporter(t *testing.T) {
	st := newMemStore()
	srv, w := newServer(t, st, WriterOptions{Interval: time.Millisecond}, Limits{})
	exp, err := otel.NewOTLP(context.Background(), otel.OTLPOptions{Endpoint: srv.URL, Gzip: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	res := &jstrace.Resource{Service: "payments", Host: "pay-1"}
	root := &jstrace.SpanData{TraceID: jstrace.TraceID(tid), SpanID: jstrace.SpanID(sid), Resource: res, Operation: "POST /charge", Start: start, Duration: 300 * time.Millisecond,
		Tags: []jstrace.Field{{Key: "http.status", Value: 503}}}
	child := &jstrace.SpanData{TraceID: jstrace.TraceID(tid), SpanID: jstrace.SpanID(pid), ParentID: jstrace.SpanID(sid), Resource: res, Operation: "charge card",
		Start: start.Add(time.Millisecond), Duration: 250 * time.Millisecond,
		Error: &jstrace.SpanError{Type: "*pay.Unavailable", Message: "bank unavailable"},
		Logs:  []jstrace.SpanLog{{Time: start.Add(2 * time.Millisecond), Message: "retrying", Fields: []jstrace.Field{{Key: "attempt", Value: 2}}}}}
	if err := exp.ExportSpans(context.Background(), []*jstrace.SpanData{root, child}); err != nil {
		t.Fatal(err)
	}
	if err := exp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.Close(context.Background())
	r, ok := st.get(traceA, spanA)
	if !ok || r.Service != "payments" || r.Host != "pay-1" || r.ParentID != "" || r.Error != "" || !r.Start.Equal(start) || r.Duration != 300*time.Millisecond {
		t.Errorf("root %+v", r)
	}
	if tagValue(r.Tags, "http.status") != "503" {
		t.Errorf("root's tags %v", r.Tags)
	}
	c, ok := st.get(traceA, spanB)
	if !ok || c.ParentID != spanA || c.Error != "bank unavailable" || c.ErrorType != "*pay.Unavailable" {
		t.Errorf("child %+v", c)
	}
	if len(c.Logs) != 1 || c.Logs[0].Message != "retrying" || !c.Logs[0].Time.Equal(start.Add(2*time.Millisecond)) || tagValue(c.Logs[0].Fields, "attempt") != "2" {
		t.Errorf("child's logs %+v", c.Logs)
	}
}
