package collector

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/jstrace-go/jstrace/internal/tracestore"
)

func str(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

var (
	tid = []byte{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	sid = []byte{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}
	pid = []byte{0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31}
)

var t0 = uint64(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC).UnixNano())

func otlpBody(t testing.TB, spans ...*tracepb.Span) []byte {
	t.Helper()
	td := &tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource:   &resourcepb.Resource{Attributes: []*commonpb.KeyValue{str("service.name", "payments"), str("host.name", "pay-1")}},
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: spans}},
	}}}
	b, err := proto.Marshal(td)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeOTLP(t *testing.T) {
	ok := &tracepb.Span{TraceId: tid, SpanId: sid, Name: "charge", StartTimeUnixNano: t0, EndTimeUnixNano: t0 + 5e6,
		Attributes: []*commonpb.KeyValue{
			str("http.method", "POST"),
			{Key: "n", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: 42}}},
			{Key: "list", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{
				Values: []*commonpb.AnyValue{{Value: &commonpb.AnyValue_StringValue{StringValue: "a"}}, {Value: &commonpb.AnyValue_BoolValue{BoolValue: true}}}}}}},
		},
		Events: []*tracepb.Span_Event{{TimeUnixNano: t0 + 1e6, Name: "retrying", Attributes: []*commonpb.KeyValue{str("attempt", "2")}}},
	}
	failedStatus := &tracepb.Span{TraceId: tid, SpanId: pid, ParentSpanId: sid, Name: "db", StartTimeUnixNano: t0, EndTimeUnixNano: t0 + 1,
		Status: &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: "deadlock"}}
	failedException := &tracepb.Span{TraceId: tid, SpanId: pid, ParentSpanId: sid, Name: "db", StartTimeUnixNano: t0, EndTimeUnixNano: t0 + 1,
		Status: &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR},
		Events: []*tracepb.Span_Event{{Name: "exception", Attributes: []*commonpb.KeyValue{str("exception.message", "card declined"), str("exception.type", "*pay.Declined")}}}}
	for _, tc := range []struct {
		name                string
		span                *tracepb.Span
		reason              string
		err, errType, tags0 string
	}{
		{name: "ok", span: ok, tags0: "POST"},
		{name: "status error", span: failedStatus, err: "deadlock"},
		{name: "exception event", span: failedException, err: "card declined", errType: "*pay.Declined"},
		{name: "short trace id", span: &tracepb.Span{TraceId: tid[:8], SpanId: sid, Name: "x"}, reason: ReasonTraceID},
		{name: "zero trace id", span: &tracepb.Span{TraceId: make([]byte, 16), SpanId: sid, Name: "x"}, reason: ReasonTraceID},
		{name: "zero span id", span: &tracepb.Span{TraceId: tid, SpanId: make([]byte, 8), Name: "x"}, reason: ReasonSpanID},
		{name: "bad parent", span: &tracepb.Span{TraceId: tid, SpanId: sid, ParentSpanId: []byte{1}, Name: "x"}, reason: ReasonParentID},
		{name: "end before start", span: &tracepb.Span{TraceId: tid, SpanId: sid, Name: "x", StartTimeUnixNano: t0, EndTimeUnixNano: t0 - 1}, reason: ReasonDuration},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := DecodeOTLP(bytes.NewReader(otlpBody(t, tc.span)), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if tc.reason != "" {
				if res.Reasons[tc.reason] != 1 || len(res.Spans) != 0 {
					t.Fatalf("spans %d, reasons %v, want one %q", len(res.Spans), res.Reasons, tc.reason)
				}
				return
			}
			if len(res.Spans) != 1 {
				t.Fatalf("spans %d, rejected %v", len(res.Spans), res.Reasons)
			}
			s := res.Spans[0]
			if s.Service != "payments" || s.Host != "pay-1" || s.TraceID != traceA || s.Error != tc.err || s.ErrorType != tc.errType {
				t.Errorf("span %+v", s)
			}
			if s.Start.UnixNano() != int64(t0) {
				t.Errorf("start %v", s.Start)
			}
			if tc.tags0 != "" {
				if s.Duration != 5*time.Millisecond || len(s.Tags) != 3 || s.Tags[0].Value != tc.tags0 || s.Tags[1].Value != "42" || s.Tags[2].Value != `["a",true]` {
					t.Errorf("duration %v, tags %v", s.Duration, s.Tags)
				}
				if len(s.Logs) != 1 || s.Logs[0].Message != "retrying" || s.Logs[0].Fields[0] != (tracestore.Tag{Key: "attempt", Value: "2"}) {
					t.Errorf("logs %v", s.Logs)
				}
			}
		})
	}
}

func TestDecodeOTLPRequest(t *testing.T) {
	t.Run("not protobuf", func(t *testing.T) {
		_, err := DecodeOTLP(bytes.NewReader([]byte("{\"resourceSpans\":[]}")), Limits{})
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("error %v, want ErrMalformed", err)
		}
	})
	t.Run("too large", func(t *testing.T) {
		_, err := DecodeOTLP(bytes.NewReader(otlpBody(t, &tracepb.Span{TraceId: tid, SpanId: sid, Name: "x"})), Limits{MaxBodyBytes: 10})
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("error %v, want ErrTooLarge", err)
		}
	})
	t.Run("no service name", func(t *testing.T) {
		b, _ := proto.Marshal(&tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{
			{TraceId: tid, SpanId: sid, Name: "x", StartTimeUnixNano: t0, EndTimeUnixNano: t0}}}}}}})
		res, err := DecodeOTLP(bytes.NewReader(b), Limits{})
		if err != nil || len(res.Spans) != 1 || res.Spans[0].Service != unknownService {
			t.Errorf("%v %+v", err, res)
		}
	})
}

func tagValue(tags []tracestore.Tag, key string) string {
	for _, t := range tags {
		if t.Key == key {
			return t.Value
		}
	}
	return ""
}
