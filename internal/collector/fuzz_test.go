package collector

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/jstrace-go/jstrace/internal/tracestore"
)

// Independent of validID: what a stored ID must look like.
var (
	traceIDRe = regexp.MustCompile(`^[0-9a-f]{32}$`)
	spanIDRe  = regexp.MustCompile(`^[0-9a-f]{16}$`)
	zeroRe    = regexp.MustCompile(`^0+$`)
)

// checkAccepted fails t unless every accepted span has valid IDs, and
// unless they go through the jstrace format unchanged.
func checkAccepted(t *testing.T, spans []tracestore.Span) {
	t.Helper()
	for _, s := range spans {
		if !traceIDRe.MatchString(s.TraceID) || zeroRe.MatchString(s.TraceID) ||
			!spanIDRe.MatchString(s.SpanID) || zeroRe.MatchString(s.SpanID) ||
			(s.ParentID != "" && (!spanIDRe.MatchString(s.ParentID) || zeroRe.MatchString(s.ParentID))) ||
			s.ParentID == s.SpanID || s.Duration < 0 || s.Operation == "" || s.Start.Location() != time.UTC {
			t.Fatalf("accepted an invalid span: %+v", s)
		}
	}
	var b bytes.Buffer
	if err := EncodeNDJSON(&b, spans); err != nil {
		t.Fatal(err)
	}
	again, err := DecodeNDJSON(&b, Limits{MaxBodyBytes: 1 << 30, MaxSpans: len(spans) + 1})
	if err != nil {
		t.Fatalf("re-decoding what was accepted: %v", err)
	}
	if again.Rejected != 0 || len(again.Spans) != len(spans) {
		t.Fatalf("re-decoding %d accepted spans: %d spans, rejected %v", len(spans), len(again.Spans), again.Reasons)
	}
	for i := range spans {
		if !equalSpan(spans[i], again.Spans[i]) {
			t.Fatalf("round trip of span %d:\n got %+v\nwant %+v", i, again.Spans[i], spans[i])
		}
	}
}

func FuzzDecodeNDJSON(f *testing.F) {
	files, _ := filepath.Glob("testdata/ndjson/*.ndjson")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("{\"jstrace_spans\":1}\n{\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"span_id\":\"00f067aa0ba902b7\",\"operation\":\"x\",\"start\":\"1970-01-01T00:00:00Z\",\"duration_ns\":0,\"tags\":[{\"key\":\"\",\"value\":\"\"}],\"logs\":[{\"time\":\"0001-01-01T00:00:00Z\",\"message\":\"\"}]}\n"))
	l := Limits{MaxBodyBytes: 1 << 16, MaxLineBytes: 4096, MaxSpans: 50, MaxTags: 8, MaxLogs: 8, MaxLogFields: 4, MaxValueBytes: 512}
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := DecodeNDJSON(bytes.NewReader(body), l)
		if err != nil {
			if res != nil {
				t.Fatalf("a result with an error: %v", err)
			}
			return
		}
		if lines := bytes.Count(body, []byte("\n")) + 1; len(res.Spans)+res.Rejected > lines {
			t.Fatalf("%d spans + %d rejected from %d lines", len(res.Spans), res.Rejected, lines)
		}
		if len(res.Spans) > l.MaxSpans {
			t.Fatalf("%d spans, over the limit %d", len(res.Spans), l.MaxSpans)
		}
		checkAccepted(t, res.Spans)
	})
}

func FuzzDecodeOTLP(f *testing.F) {
	f.Add(otlpBody(f, &tracepb.Span{TraceId: tid, SpanId: sid, Name: "x", StartTimeUnixNano: t0, EndTimeUnixNano: t0 + 9}))
	f.Add(otlpBody(f, &tracepb.Span{TraceId: tid, SpanId: pid, ParentSpanId: sid, Name: "db", StartTimeUnixNano: t0, EndTimeUnixNano: t0 + 1,
		Status: &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: "m"},
		Events: []*tracepb.Span_Event{{Name: "exception", Attributes: nil}, {Name: "log", TimeUnixNano: t0}}}))
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x00})
	l := Limits{MaxBodyBytes: 1 << 16, MaxSpans: 50, MaxTags: 8, MaxLogs: 8, MaxLogFields: 4, MaxValueBytes: 512}
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := DecodeOTLP(bytes.NewReader(body), l)
		if err != nil {
			return
		}
		if len(res.Spans) > l.MaxSpans {
			t.Fatalf("%d spans, over the limit %d", len(res.Spans), l.MaxSpans)
		}
		checkAccepted(t, res.Spans)
	})
}
