package collector

import (
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/jstrace-go/jstrace/internal/tracestore"
)

// unknownService is the service of spans whose resource has no
// service.name, as OpenTelemetry's SDKs name it.
const unknownService = "unknown_service"

// DecodeOTLP reads an OTLP/HTTP protobuf body: an
// ExportTraceServiceRequest, decoded as the TracesData it is on the wire
// (same field numbers), which keeps gRPC out of the collector. Spans are
// mapped to tracestore.Span:
//   - service from the resource's service.name (else "unknown_service"),
//     host from host.name;
//   - operation from the name, start and duration from the timestamps;
//   - error from a status ERROR (its message, else "error"), or from an
//     "exception" event (exception.message, exception.type);
//   - attributes as tags (values as text), other events as logs.
//
// It fails only when the body is over l.MaxBodyBytes (ErrTooLarge) or is
// not a protobuf message (ErrMalformed); a bad span is rejected and
// counted in the Result.
func DecodeOTLP(r io.Reader, l Limits) (*Result, error) {
	l = l.resolve()
	body, err := io.ReadAll(&limitedReader{r: r, n: l.MaxBodyBytes})
	if err == ErrTooLarge {
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, l.MaxBodyBytes)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	// An empty span is 2 bytes on the wire and 288 decoded: refuse what
	// would take more than maxOTLPRatio times the body, before decoding.
	if cost, err := otlpCost(body, otlpTracesData, 0); err == nil && cost > maxOTLPRatio*len(body)+1<<20 {
		return nil, fmt.Errorf("%w: %d bytes that decode to about %d MiB (too many small messages)", ErrTooLarge, len(body), cost>>20)
	}
	var td tracepb.TracesData
	if err := (proto.UnmarshalOptions{RecursionLimit: 64}).Unmarshal(body, &td); err != nil {
		return nil, fmt.Errorf("%w: not an OTLP protobuf request: %w", ErrMalformed, err)
	}
	res := &Result{}
	for _, rs := range td.GetResourceSpans() {
		service, host := unknownService, ""
		for _, kv := range rs.GetResource().GetAttributes() {
			switch kv.GetKey() {
			case "service.name":
				if v := kv.GetValue().GetStringValue(); v != "" {
					service = v
				}
			case "host.name":
				host = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				if len(res.Spans) >= l.MaxSpans {
					res.reject(0, ReasonTooMany, 1)
					continue
				}
				s, reason := fromOTLP(sp, service, host, &l)
				if reason != "" {
					res.reject(0, reason, 1)
					continue
				}
				res.add(s, 0, &l)
			}
		}
	}
	return res, nil
}

// fromOTLP maps one OTLP span; reason says why it cannot be.
func fromOTLP(sp *tracepb.Span, service, host string, l *Limits) (tracestore.Span, string) {
	s := tracestore.Span{Service: service, Host: host, Operation: sp.GetName()}
	switch {
	case len(sp.GetTraceId()) != 16:
		return s, ReasonTraceID
	case len(sp.GetSpanId()) != 8:
		return s, ReasonSpanID
	case len(sp.GetParentSpanId()) != 0 && len(sp.GetParentSpanId()) != 8:
		return s, ReasonParentID
	case sp.GetEndTimeUnixNano() < sp.GetStartTimeUnixNano():
		return s, ReasonDuration
	case sp.GetStartTimeUnixNano() > 1<<62 || sp.GetEndTimeUnixNano() > 1<<62:
		return s, ReasonStart
	}
	s.TraceID = hex.EncodeToString(sp.GetTraceId())
	s.SpanID = hex.EncodeToString(sp.GetSpanId())
	if p := sp.GetParentSpanId(); len(p) == 8 && !allZero(p) {
		s.ParentID = hex.EncodeToString(p)
	}
	s.Start = time.Unix(0, int64(sp.GetStartTimeUnixNano())).UTC()
	s.Duration = time.Duration(sp.GetEndTimeUnixNano() - sp.GetStartTimeUnixNano())
	if len(sp.GetAttributes()) > l.MaxTags {
		return s, ReasonTags
	}
	if len(sp.GetEvents()) > l.MaxLogs+1 { // + an exception event
		return s, ReasonLogs
	}
	for _, kv := range sp.GetAttributes() {
		switch kv.GetKey() {
		case "error.type":
			s.ErrorType = kv.GetValue().GetStringValue()
		default:
			s.Tags = append(s.Tags, tracestore.Tag{Key: kv.GetKey(), Value: text(kv.GetValue(), l.MaxValueBytes)})
		}
	}
	if st := sp.GetStatus(); st.GetCode() == tracepb.Status_STATUS_CODE_ERROR {
		s.Error = st.GetMessage()
		if s.Error == "" {
			s.Error = "error"
		}
	}
	for _, ev := range sp.GetEvents() {
		if ev.GetName() == "exception" {
			exception(&s, ev)
			continue
		}
		if len(ev.GetAttributes()) > l.MaxLogFields {
			return s, ReasonTags
		}
		lg := tracestore.Log{Time: time.Unix(0, int64(min(ev.GetTimeUnixNano(), 1<<62))).UTC(), Message: ev.GetName()}
		for _, kv := range ev.GetAttributes() {
			lg.Fields = append(lg.Fields, tracestore.Tag{Key: kv.GetKey(), Value: text(kv.GetValue(), l.MaxValueBytes)})
		}
		s.Logs = append(s.Logs, lg)
	}
	return s, ""
}

// exception records an "exception" event as the span's error, unless a
// status already gave it a message.
func exception(s *tracestore.Span, ev *tracepb.Span_Event) {
	var msg, typ string
	for _, kv := range ev.GetAttributes() {
		switch kv.GetKey() {
		case "exception.message":
			msg = kv.GetValue().GetStringValue()
		case "exception.type":
			typ = kv.GetValue().GetStringValue()
		}
	}
	if s.Error == "" || s.Error == "error" {
		s.Error = cmpOr(msg, typ, "exception")
	}
	if s.ErrorType == "" {
		s.ErrorType = typ
	}
}

func cmpOr(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// text renders an attribute's value as a tag's text, cut at max bytes
// (check then rejects nothing for length: the cut is the bound).
func text(v *commonpb.AnyValue, max int) string {
	var b strings.Builder
	writeValue(&b, v, 0, max)
	s := b.String()
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "")
	}
	return s
}

// writeValue writes v, arrays and maps as JSON-like text, at most 8
// levels deep and about max bytes.
func writeValue(b *strings.Builder, v *commonpb.AnyValue, depth, max int) {
	if b.Len() > max {
		return
	}
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		if depth == 0 {
			b.WriteString(x.StringValue)
		} else {
			b.WriteString(strconv.Quote(x.StringValue))
		}
	case *commonpb.AnyValue_BoolValue:
		b.WriteString(strconv.FormatBool(x.BoolValue))
	case *commonpb.AnyValue_IntValue:
		b.WriteString(strconv.FormatInt(x.IntValue, 10))
	case *commonpb.AnyValue_DoubleValue:
		b.WriteString(strconv.FormatFloat(x.DoubleValue, 'g', -1, 64))
	case *commonpb.AnyValue_BytesValue:
		b.WriteString(hex.EncodeToString(x.BytesValue[:min(len(x.BytesValue), max/2+1)]))
	case *commonpb.AnyValue_ArrayValue:
		if depth >= 8 {
			b.WriteString("[…]")
			return
		}
		b.WriteByte('[')
		for i, e := range x.ArrayValue.GetValues() {
			if i > 0 {
				b.WriteByte(',')
			}
			writeValue(b, e, depth+1, max)
			if b.Len() > max {
				return
			}
		}
		b.WriteByte(']')
	case *commonpb.AnyValue_KvlistValue:
		if depth >= 8 {
			b.WriteString("{…}")
			return
		}
		b.WriteByte('{')
		for i, kv := range x.KvlistValue.GetValues() {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(kv.GetKey()))
			b.WriteByte(':')
			writeValue(b, kv.GetValue(), depth+1, max)
			if b.Len() > max {
				return
			}
		}
		b.WriteByte('}')
	}
}

// otlpResponse encodes an ExportTraceServiceResponse: empty when every
// span was accepted, else its partial_success (field 1) with
// rejected_spans (1) and error_message (2).
func otlpResponse(rejected int, msg string) []byte {
	if rejected == 0 {
		return nil
	}
	var ps []byte
	ps = protowire.AppendTag(ps, 1, protowire.VarintType)
	ps = protowire.AppendVarint(ps, uint64(rejected))
	ps = protowire.AppendTag(ps, 2, protowire.BytesType)
	ps = protowire.AppendString(ps, msg)
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	return protowire.AppendBytes(b, ps)
}
