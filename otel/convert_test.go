package otel_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/otel"
)

// attrs returns kvs as a map of key to value.
func attrs(kvs []attribute.KeyValue) map[string]attribute.Value {
	m := map[string]attribute.Value{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value
	}
	return m
}

// converted runs spans through an OpenTelemetry exporter (in memory) and
// returns what it received.
func converted(t *testing.T, spans []*jstrace.SpanData) tracetest.SpanStubs {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	if err := exp.ExportSpans(context.Background(), otel.ReadOnlySpans(spans)); err != nil {
		t.Fatal(err)
	}
	return exp.GetSpans()
}

func TestConvertTrace(t *testing.T) {
	spans := testTrace(t, "convert-svc")
	got := converted(t, spans)
	if len(got) != 3 {
		t.Fatalf("got %d spans, want 3", len(got))
	}
	root, db, pay := got[0], got[1], got[2]
	tid := trace.TraceID(spans[0].TraceID)

	t.Run("ids and parents", func(t *testing.T) {
		for i, s := range got {
			if s.SpanContext.TraceID() != tid || s.SpanContext.SpanID() != trace.SpanID(spans[i].SpanID) || !s.SpanContext.IsSampled() {
				t.Errorf("span %d: context %v, want trace %s span %s sampled", i, s.SpanContext, tid, spans[i].SpanID)
			}
		}
		if root.Parent.SpanID() != trace.SpanID(upstream) || !root.Parent.IsRemote() || root.Parent.TraceID() != tid {
			t.Errorf("root parent = %v, want remote %s", root.Parent, upstream)
		}
		for _, c := range []tracetest.SpanStub{db, pay} {
			if c.Parent.SpanID() != root.SpanContext.SpanID() || c.Parent.IsRemote() {
				t.Errorf("%s: parent = %v, want local %s", c.Name, c.Parent, root.SpanContext.SpanID())
			}
		}
	})
	t.Run("names kinds times", func(t *testing.T) {
		for i, want := range []struct {
			name string
			kind trace.SpanKind
		}{{"GET /checkout", trace.SpanKindServer}, {"SELECT orders", trace.SpanKindInternal}, {"charge card", trace.SpanKindClient}} {
			s := got[i]
			if s.Name != want.name || s.SpanKind != want.kind {
				t.Errorf("span %d: %q %v, want %q %v", i, s.Name, s.SpanKind, want.name, want.kind)
			}
			if !s.StartTime.Equal(spans[i].Start) || s.EndTime.Sub(s.StartTime) != spans[i].Duration || spans[i].Duration <= 0 {
				t.Errorf("span %d: %v..%v, want start %v duration %v", i, s.StartTime, s.EndTime, spans[i].Start, spans[i].Duration)
			}
		}
	})
	t.Run("typed attributes", func(t *testing.T) {
		a := attrs(root.Attributes)
		for k, want := range map[string]attribute.Value{
			"http.method":      attribute.StringValue("GET"),
			"http.status_code": attribute.Int64Value(502),
			"ratio":            attribute.Float64Value(0.25),
			"cached":           attribute.BoolValue(false),
			"budget":           attribute.StringValue("1.5s"),
			"big":              attribute.StringValue("9223372036854775808"),
			"list":             attribute.StringValue("[a b]"),
		} {
			if a[k] != want {
				t.Errorf("attribute %s = %v (%v), want %v (%v)", k, a[k].Emit(), a[k].Type(), want.Emit(), want.Type())
			}
		}
		if _, ok := a[otel.KindTag]; ok {
			t.Errorf("the kind tag is kept as an attribute")
		}
		if root.Status.Code != codes.Unset {
			t.Errorf("root status = %v, want unset", root.Status)
		}
	})
	t.Run("logs as events", func(t *testing.T) {
		if len(db.Events) != 1 {
			t.Fatalf("events = %v, want one", db.Events)
		}
		ev := db.Events[0]
		a := attrs(ev.Attributes)
		if ev.Name != "query done" || a["rows"] != attribute.Int64Value(3) || a["table"] != attribute.StringValue("orders") {
			t.Errorf("event = %+v", ev)
		}
		if !ev.Time.Equal(spans[1].Logs[0].Time) {
			t.Errorf("event time %v, want %v", ev.Time, spans[1].Logs[0].Time)
		}
	})
	t.Run("error", func(t *testing.T) {
		if pay.Status.Code != codes.Error || pay.Status.Description != "charge: card declined" {
			t.Errorf("status = %+v", pay.Status)
		}
		a := attrs(pay.Attributes)
		if a["error.type"].AsString() != "otel_test.codedError" || a["error.code"].AsString() != "E42" || a["error.data"].AsString() != "{attempt:2}" {
			t.Errorf("error attributes = %v", pay.Attributes)
		}
		if len(pay.Events) != 1 || pay.Events[0].Name != "exception" {
			t.Fatalf("events = %v, want one exception", pay.Events)
		}
		e := attrs(pay.Events[0].Attributes)
		if e["exception.type"].AsString() != "otel_test.codedError" || e["exception.message"].AsString() != "charge: card declined" ||
			!strings.Contains(e["exception.stacktrace"].AsString(), "testTrace") {
			t.Errorf("exception event = %v", pay.Events[0].Attributes)
		}
		if !pay.Events[0].Time.Equal(pay.EndTime) {
			t.Errorf("exception at %v, want the span's end %v", pay.Events[0].Time, pay.EndTime)
		}
	})
	t.Run("resource", func(t *testing.T) {
		a := attrs(root.Resource.Attributes())
		for k, want := range map[string]attribute.Value{
			"service.name":       attribute.StringValue("convert-svc"),
			"service.version":    attribute.StringValue("1.2.3"),
			"host.name":          attribute.StringValue(spans[0].Resource.Host),
			"region":             attribute.StringValue("eu-1"),
			"shard":              attribute.Int64Value(7),
			"telemetry.sdk.name": attribute.StringValue("jstrace"),
		} {
			if a[k] != want {
				t.Errorf("resource %s = %v, want %v", k, a[k].Emit(), want.Emit())
			}
		}
		if root.Resource != db.Resource {
			t.Errorf("the resource is converted once per jstrace resource")
		}
		if root.InstrumentationScope.Name != "github.com/jstrace-go/jstrace" {
			t.Errorf("scope = %+v", root.InstrumentationScope)
		}
	})
}

func TestConvertEdges(t *testing.T) {
	tid := jstrace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	start := time.Unix(1700000000, 0)
	tests := []struct {
		name  string
		data  jstrace.SpanData
		check func(t *testing.T, s tracetest.SpanStub)
	}{
		{"root without resource", jstrace.SpanData{TraceID: tid, SpanID: jstrace.SpanID{1}, Operation: "op", Start: start, Duration: time.Second},
			func(t *testing.T, s tracetest.SpanStub) {
				if s.Parent.IsValid() || s.Resource.Len() != 0 || s.SpanKind != trace.SpanKindInternal {
					t.Errorf("parent %v, resource %v, kind %v", s.Parent, s.Resource, s.SpanKind)
				}
			}},
		{"tracestate", jstrace.SpanData{TraceID: tid, SpanID: jstrace.SpanID{1}, ParentID: jstrace.SpanID{2}, TraceState: "vendor=abc,other=1"},
			func(t *testing.T, s tracetest.SpanStub) {
				if s.SpanContext.TraceState().Get("vendor") != "abc" || s.Parent.TraceState().String() != "vendor=abc,other=1" || s.Parent.IsRemote() {
					t.Errorf("context %v parent %v", s.SpanContext.TraceState(), s.Parent)
				}
			}},
		{"bad tracestate dropped", jstrace.SpanData{TraceID: tid, SpanID: jstrace.SpanID{1}, TraceState: "=="},
			func(t *testing.T, s tracetest.SpanStub) {
				if s.SpanContext.TraceState().Len() != 0 {
					t.Errorf("tracestate %v", s.SpanContext.TraceState())
				}
			}},
		{"unknown kind, non-string kind", jstrace.SpanData{TraceID: tid, SpanID: jstrace.SpanID{1}, Tags: []jstrace.Field{{Key: "span.kind", Value: "sideways"}}},
			func(t *testing.T, s tracetest.SpanStub) {
				if s.SpanKind != trace.SpanKindInternal || len(s.Attributes) != 0 {
					t.Errorf("kind %v attributes %v", s.SpanKind, s.Attributes)
				}
			}},
		{"kind as number is an attribute", jstrace.SpanData{TraceID: tid, SpanID: jstrace.SpanID{1}, Tags: []jstrace.Field{{Key: "span.kind", Value: 2}}},
			func(t *testing.T, s tracetest.SpanStub) {
				if s.SpanKind != trace.SpanKindInternal || attrs(s.Attributes)["span.kind"] != attribute.Int64Value(2) {
					t.Errorf("kind %v attributes %v", s.SpanKind, s.Attributes)
				}
			}},
		{"dropped and cut counted", jstrace.SpanData{TraceID: tid, SpanID: jstrace.SpanID{1}, DroppedTags: 3, DroppedLogs: 4, CutValues: 5},
			func(t *testing.T, s tracetest.SpanStub) {
				if s.DroppedAttributes != 3 || s.DroppedEvents != 4 || attrs(s.Attributes)["jstrace.cut_values"] != attribute.Int64Value(5) {
					t.Errorf("dropped %d %d attributes %v", s.DroppedAttributes, s.DroppedEvents, s.Attributes)
				}
			}},
		{"error without stack, code or data", jstrace.SpanData{TraceID: tid, SpanID: jstrace.SpanID{1}, Start: start, Duration: time.Second, Error: &jstrace.SpanError{Type: "*errors.errorString", Message: "boom"}},
			func(t *testing.T, s tracetest.SpanStub) {
				a := attrs(s.Attributes)
				_, code := a["error.code"]
				_, data := a["error.data"]
				e := attrs(s.Events[0].Attributes)
				_, stack := e["exception.stacktrace"]
				if code || data || stack || s.Status.Description != "boom" || !s.Events[0].Time.Equal(start.Add(time.Second)) {
					t.Errorf("attributes %v events %v status %v", s.Attributes, s.Events, s.Status)
				}
			}},
		{"typed values", jstrace.SpanData{TraceID: tid, SpanID: jstrace.SpanID{1}, Tags: []jstrace.Field{
			{Key: "i8", Value: int8(-8)}, {Key: "u32", Value: uint32(32)}, {Key: "u", Value: uint(7)}, {Key: "f32", Value: float32(0.5)},
			{Key: "nil", Value: nil}, {Key: "at", Value: start.UTC()},
		}},
			func(t *testing.T, s tracetest.SpanStub) {
				a := attrs(s.Attributes)
				if a["i8"] != attribute.Int64Value(-8) || a["u32"] != attribute.Int64Value(32) || a["u"] != attribute.Int64Value(7) ||
					a["f32"] != attribute.Float64Value(0.5) || a["nil"] != attribute.StringValue("<nil>") ||
					a["at"] != attribute.StringValue("2023-11-14T22:13:20Z") {
					t.Errorf("attributes %v", s.Attributes)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.data
			got := converted(t, []*jstrace.SpanData{&d, nil})
			if len(got) != 1 {
				t.Fatalf("got %d spans, want 1 (nil skipped)", len(got))
			}
			tt.check(t, got[0])
		})
	}
}

// The conversion satisfies what an SDK span processor expects of a
// ReadOnlySpan.
var _ sdktrace.ReadOnlySpan = otel.ReadOnlySpan(&jstrace.SpanData{})

func TestSpanContext(t *testing.T) {
	if sc := otel.SpanContext(nil); sc.IsValid() {
		t.Errorf("nil span: %v", sc)
	}
	old := jstrace.Tracing()
	defer jstrace.SetTracing(old)
	for _, sampled := range []bool{true, false} {
		s := jstrace.AlwaysSample()
		if !sampled {
			s = jstrace.NeverSample()
		}
		jstrace.SetTracing(jstrace.TracingOptions{Sampler: s})
		_, span := jstrace.StartSpan(context.Background(), "op")
		sc := otel.SpanContext(span)
		if !sc.IsValid() || sc.TraceID() != trace.TraceID(span.TraceID()) || sc.SpanID() != trace.SpanID(span.SpanID()) ||
			sc.IsSampled() != sampled || sc.IsRemote() {
			t.Errorf("sampled %v: %v, want span %s/%s", sampled, sc, span.TraceID(), span.SpanID())
		}
		span.End()
	}
}
