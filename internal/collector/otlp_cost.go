package collector

import (
	"errors"

	"google.golang.org/protobuf/encoding/protowire"
)

// Decoding an OTLP body allocates a struct per message, however short the
// message is on the wire: an empty span is 2 bytes there and 288 once
// decoded. otlpCost estimates, from the wire, what decoding a body
// allocates, so that DecodeOTLP refuses a body that would take more than
// maxOTLPRatio times its size before it allocates it. Ordinary bodies
// take under 20 (100 bool attributes of one-letter keys a span: 18).
const maxOTLPRatio = 24

// The messages of an ExportTraceServiceRequest that hold others, and the
// bytes one costs decoded (its struct and the pointer to it).
type otlpMsg int

const (
	otlpNone otlpMsg = iota
	otlpTracesData
	otlpResourceSpans
	otlpResource
	otlpScopeSpans
	otlpScope
	otlpSpan
	otlpEvent
	otlpLink
	otlpStatus
	otlpKeyValue
	otlpAnyValue
	otlpArray
	otlpKVList
)

var otlpMsgCost = [...]int{
	otlpTracesData: 64, otlpResourceSpans: 96, otlpResource: 80, otlpScopeSpans: 96, otlpScope: 96,
	otlpSpan: 288, otlpEvent: 104, otlpLink: 136, otlpStatus: 64, otlpKeyValue: 80, otlpAnyValue: 80,
	otlpArray: 64, otlpKVList: 64,
}

// otlpChildren maps a message and a field number to the message the
// field holds (fields not listed are scalars, strings or bytes).
func otlpChild(m otlpMsg, field protowire.Number) otlpMsg {
	switch {
	case m == otlpTracesData && field == 1:
		return otlpResourceSpans
	case m == otlpResourceSpans && field == 1:
		return otlpResource
	case m == otlpResourceSpans && field == 2:
		return otlpScopeSpans
	case m == otlpResource && field == 1, m == otlpScope && field == 3, m == otlpSpan && field == 9,
		m == otlpEvent && field == 3, m == otlpLink && field == 4, m == otlpKVList && field == 1:
		return otlpKeyValue
	case m == otlpScopeSpans && field == 1:
		return otlpScope
	case m == otlpScopeSpans && field == 2:
		return otlpSpan
	case m == otlpSpan && field == 11:
		return otlpEvent
	case m == otlpSpan && field == 13:
		return otlpLink
	case m == otlpSpan && field == 15:
		return otlpStatus
	case m == otlpKeyValue && field == 2, m == otlpArray && field == 1:
		return otlpAnyValue
	case m == otlpAnyValue && field == 5:
		return otlpArray
	case m == otlpAnyValue && field == 6:
		return otlpKVList
	}
	return otlpNone
}

var errOTLPWire = errors.New("bad protobuf wire format")

// otlpCost returns the bytes decoding b as message m allocates, about,
// beyond b itself; depth bounds the nesting as the decoder does.
func otlpCost(b []byte, m otlpMsg, depth int) (int, error) {
	if depth > 64 {
		return 0, errOTLPWire
	}
	cost := otlpMsgCost[m]
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return 0, errOTLPWire
		}
		b = b[n:]
		if typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return 0, errOTLPWire
			}
			b = b[n:]
			if c := otlpChild(m, num); c != otlpNone {
				k, err := otlpCost(v, c, depth+1)
				if err != nil {
					return 0, err
				}
				cost += k
			}
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return 0, errOTLPWire
		}
		b = b[n:]
	}
	return cost, nil
}
