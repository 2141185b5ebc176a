package collector

import (
	"bytes"
	"errors"
	"runtime"
	"testing"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// emptySpansBody is an OTLP body of n empty spans (2 bytes each on the
// wire) in one ScopeSpans of one ResourceSpans.
func emptySpansBody(n int) []byte {
	var ss []byte
	for i := 0; i < n; i++ {
		ss = protowire.AppendTag(ss, 2, protowire.BytesType)
		ss = protowire.AppendVarint(ss, 0)
	}
	var rs []byte
	rs = protowire.AppendTag(rs, 2, protowire.BytesType)
	rs = protowire.AppendBytes(rs, ss)
	var td []byte
	td = protowire.AppendTag(td, 1, protowire.BytesType)
	return protowire.AppendBytes(td, rs)
}

// A body within MaxBodyBytes must not make the decoder allocate much more
// than the body: empty spans cost 2 bytes on the wire and hundreds once
// decoded, and up to MaxConcurrent such requests are decoded at once.
func TestReviewOTLPAmplification(t *testing.T) {
	body := emptySpansBody(DefaultMaxBodyBytes/2 - 16)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := DecodeOTLP(bytes.NewReader(body), Limits{})
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("body %d bytes, allocated %d MiB", len(body), alloc>>20)
	if alloc > 8*uint64(len(body)) {
		t.Errorf("decoding a %d-byte body allocated %d MiB: over 8 times the body", len(body), alloc>>20)
	}
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("err = %v, want ErrTooLarge (413)", err)
	}
}

// The bound refuses no ordinary body: 10,000 spans of 10 short int and
// string attributes each, near the body limit.
func TestReviewOTLPOrdinaryBodyAccepted(t *testing.T) {
	var ss tracepb.ScopeSpans
	for i := range DefaultMaxSpans {
		sp := &tracepb.Span{TraceId: bytes.Repeat([]byte{1}, 16), SpanId: []byte{0, 0, 0, 0, 0, 0, byte(i >> 8), byte(i) | 1},
			Name: "op", StartTimeUnixNano: 1e18, EndTimeUnixNano: 1e18 + 1e6}
		for k := range 10 {
			v := &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: int64(k)}}
			if k%2 == 0 {
				v = &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "v"}}
			}
			sp.Attributes = append(sp.Attributes, &commonpb.KeyValue{Key: string(rune('a' + k)), Value: v})
		}
		ss.Spans = append(ss.Spans, sp)
	}
	body, err := proto.Marshal(&tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{&ss}}}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := DecodeOTLP(bytes.NewReader(body), Limits{})
	if err != nil {
		t.Fatalf("%d-byte body: %v", len(body), err)
	}
	if len(res.Spans) != DefaultMaxSpans {
		t.Fatalf("%d spans, want %d", len(res.Spans), DefaultMaxSpans)
	}
}
