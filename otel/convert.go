package otel

import (
	"fmt"
	"math"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/jstrace-go/jstrace"
)

// KindTag is the tag that sets a span's OpenTelemetry kind: "server",
// "client", "producer", "consumer" or "internal" (the default). The
// propagation helpers set it on the spans they start; the conversion
// turns it into the span's kind and drops it from the attributes.
const KindTag = "span.kind"

// Attribute keys of what OpenTelemetry's conventions have no key for.
const (
	errorCodeKey = attribute.Key("error.code")
	errorDataKey = attribute.Key("error.data")
	cutValuesKey = attribute.Key("jstrace.cut_values")
)

var scope = instrumentation.Scope{Name: "github.com/jstrace-go/jstrace", Version: jstrace.Version}

// ReadOnlySpans converts jstrace spans into OpenTelemetry SDK spans, as
// an sdktrace.SpanExporter takes them: see [ReadOnlySpan].
func ReadOnlySpans(spans []*jstrace.SpanData) []sdktrace.ReadOnlySpan {
	out := make([]sdktrace.ReadOnlySpan, 0, len(spans))
	for _, d := range spans {
		if d != nil {
			out = append(out, ReadOnlySpan(d))
		}
	}
	return out
}

// ReadOnlySpan converts a jstrace span into an OpenTelemetry SDK span:
//   - IDs, parent (remote when the parent was in another process),
//     tracestate, start and end;
//   - tags as attributes: strings, bools, integers that fit int64 and
//     floats as themselves, anything else as its text; the [KindTag] tag
//     as the span kind;
//   - logs as events (the message is the event's name);
//   - an error as status Error with its message, the attribute
//     error.type (plus error.code and error.data when the error has
//     them), and an "exception" event with exception.type,
//     exception.message and, when recorded, exception.stacktrace;
//   - the resource: service.name, service.version, host.name and the
//     default tags.
//
// d must not be nil.
func ReadOnlySpan(d *jstrace.SpanData) sdktrace.ReadOnlySpan {
	return stub(d).Snapshot()
}

func stub(d *jstrace.SpanData) tracetest.SpanStub {
	flags := trace.FlagsSampled // only sampled spans are recorded
	ts, _ := trace.ParseTraceState(d.TraceState)
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID(d.TraceID), SpanID: trace.SpanID(d.SpanID),
		TraceFlags: flags, TraceState: ts,
	})
	var parent trace.SpanContext
	if d.ParentID.IsValid() {
		parent = trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: trace.TraceID(d.TraceID), SpanID: trace.SpanID(d.ParentID),
			TraceFlags: flags, TraceState: ts, Remote: d.RemoteParent,
		})
	}
	end := d.Start.Add(d.Duration)
	s := tracetest.SpanStub{
		Name:                 d.Operation,
		SpanContext:          sc,
		Parent:               parent,
		SpanKind:             trace.SpanKindInternal,
		StartTime:            d.Start,
		EndTime:              end,
		DroppedAttributes:    d.DroppedTags,
		DroppedEvents:        d.DroppedLogs,
		Resource:             otelResource(d.Resource),
		InstrumentationScope: scope,
	}
	s.Attributes = make([]attribute.KeyValue, 0, len(d.Tags)+4)
	for _, f := range d.Tags {
		if f.Key == KindTag {
			if k, ok := f.Value.(string); ok {
				s.SpanKind = trace.ValidateSpanKind(trace.SpanKind(kindOf(k)))
				continue
			}
		}
		s.Attributes = append(s.Attributes, keyValue(f.Key, f.Value))
	}
	if d.CutValues > 0 {
		s.Attributes = append(s.Attributes, cutValuesKey.Int(d.CutValues))
	}
	for _, l := range d.Logs {
		s.Events = append(s.Events, sdktrace.Event{Name: l.Message, Time: l.Time, Attributes: attributes(l.Fields)})
	}
	if e := d.Error; e != nil {
		s.Status = sdktrace.Status{Code: codes.Error, Description: e.Message}
		s.Attributes = append(s.Attributes, semconv.ErrorTypeKey.String(e.Type))
		if e.Code != "" {
			s.Attributes = append(s.Attributes, errorCodeKey.String(e.Code))
		}
		if e.Data != nil {
			s.Attributes = append(s.Attributes, keyValue(string(errorDataKey), e.Data))
		}
		ev := []attribute.KeyValue{semconv.ExceptionType(e.Type), semconv.ExceptionMessage(e.Message)}
		if e.Stack != "" {
			ev = append(ev, semconv.ExceptionStacktrace(e.Stack))
		}
		s.Events = append(s.Events, sdktrace.Event{Name: "exception", Time: end, Attributes: ev})
	}
	return s
}

// kindOf maps a KindTag value to its trace.SpanKind number; 0 (invalid,
// made internal by ValidateSpanKind) for others.
func kindOf(k string) int {
	switch k {
	case "server":
		return int(trace.SpanKindServer)
	case "client":
		return int(trace.SpanKindClient)
	case "producer":
		return int(trace.SpanKindProducer)
	case "consumer":
		return int(trace.SpanKindConsumer)
	case "internal":
		return int(trace.SpanKindInternal)
	}
	return 0
}

func attributes(fs []jstrace.Field) []attribute.KeyValue {
	if len(fs) == 0 {
		return nil
	}
	out := make([]attribute.KeyValue, len(fs))
	for i, f := range fs {
		out[i] = keyValue(f.Key, f.Value)
	}
	return out
}

// keyValue types a tag value: what SpanData holds is a string, a bool, a
// number, a time.Duration, a time.Time or text already (see
// jstrace.Span.SetTag).
func keyValue(k string, v any) attribute.KeyValue {
	key := attribute.Key(k)
	switch v := v.(type) {
	case string:
		return key.String(v)
	case bool:
		return key.Bool(v)
	case int:
		return key.Int64(int64(v))
	case int8:
		return key.Int64(int64(v))
	case int16:
		return key.Int64(int64(v))
	case int32:
		return key.Int64(int64(v))
	case int64:
		return key.Int64(v)
	case uint8:
		return key.Int64(int64(v))
	case uint16:
		return key.Int64(int64(v))
	case uint32:
		return key.Int64(int64(v))
	case uint:
		return uintValue(key, uint64(v))
	case uint64:
		return uintValue(key, v)
	case uintptr:
		return uintValue(key, uint64(v))
	case float32:
		return key.Float64(float64(v))
	case float64:
		return key.Float64(v)
	case time.Duration:
		return key.String(v.String())
	case time.Time:
		return key.String(v.Format(time.RFC3339Nano))
	case nil:
		return key.String("<nil>")
	}
	return key.String(fmt.Sprint(v))
}

// uintValue keeps an unsigned number that fits int64 a number, and
// writes a larger one as its decimal text.
func uintValue(key attribute.Key, v uint64) attribute.KeyValue {
	if v > math.MaxInt64 {
		return key.String(fmt.Sprint(v))
	}
	return key.Int64(int64(v))
}

// Resources converted, by jstrace resource: a process has one per
// SetTracing, so each is converted once. The map is emptied if it grows
// past maxResources (a program calling SetTracing in a loop).
var resources struct {
	sync.Mutex
	m map[*jstrace.Resource]*resource.Resource
}

const maxResources = 16

func otelResource(r *jstrace.Resource) *resource.Resource {
	if r == nil {
		return resource.Empty()
	}
	resources.Lock()
	defer resources.Unlock()
	if res, ok := resources.m[r]; ok {
		return res
	}
	if resources.m == nil || len(resources.m) >= maxResources {
		resources.m = make(map[*jstrace.Resource]*resource.Resource)
	}
	kv := []attribute.KeyValue{
		semconv.ServiceName(r.Service),
		semconv.TelemetrySDKName("jstrace"),
		semconv.TelemetrySDKLanguageGo,
		semconv.TelemetrySDKVersion(jstrace.Version),
	}
	if r.Version != "" {
		kv = append(kv, semconv.ServiceVersion(r.Version))
	}
	if r.Host != "" {
		kv = append(kv, semconv.HostName(r.Host))
	}
	kv = append(kv, attributes(r.Tags)...)
	res := resource.NewWithAttributes(semconv.SchemaURL, kv...)
	resources.m[r] = res
	return res
}
