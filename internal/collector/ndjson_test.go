package collector

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/tracestore"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata")

// golden is what a decoder made of a body, as the golden files hold it.
type golden struct {
	Spans    []tracestore.Span `json:"spans"`
	Rejected int               `json:"rejected"`
	Reasons  map[string]int    `json:"reasons,omitempty"`
	Errors   []LineError       `json:"errors,omitempty"`
	Error    string            `json:"error,omitempty"`
}

func checkGolden(t *testing.T, path string, res *Result, err error) {
	t.Helper()
	g := golden{}
	if err != nil {
		g.Error = err.Error()
	} else {
		g.Spans, g.Rejected, g.Reasons, g.Errors = res.Spans, res.Rejected, res.Reasons, res.Errors
	}
	got, mErr := json.MarshalIndent(g, "", "\t")
	if mErr != nil {
		t.Fatal(mErr)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, rErr := os.ReadFile(path)
	if rErr != nil {
		t.Fatalf("%v (go test -run %s -update writes it)", rErr, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("decoded differs from %s (-update rewrites it):\n%s", path, got)
	}
}

// TestDecodeNDJSONGolden decodes every body of testdata/ndjson and
// compares with its .golden: spans, rejections and their reasons, or the
// request's error.
func TestDecodeNDJSONGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/ndjson/*.ndjson")
	if len(files) < 5 {
		t.Fatalf("found %d bodies in testdata/ndjson", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			res, err := DecodeNDJSON(bytes.NewReader(body), Limits{})
			checkGolden(t, strings.TrimSuffix(f, ".ndjson")+".golden", res, err)
		})
	}
}

func span(trace, id, parent string) tracestore.Span {
	return tracestore.Span{
		TraceID: trace, SpanID: id, ParentID: parent, Service: "svc", Operation: "op",
		Start: time.Date(2026, 11, 30, 12, 0, 0, 123456789, time.UTC), Duration: 5 * time.Millisecond,
	}
}

const (
	traceA = "4bf92f3577b34da6a3ce929d0e0e4736"
	spanA  = "00f067aa0ba902b7"
	spanB  = "b7ad6b7169203331"
)

func body(t testing.TB, spans ...tracestore.Span) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := EncodeNDJSON(&b, spans); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDecodeNDJSONLimits(t *testing.T) {
	many := func(n int) []tracestore.Span {
		var ss []tracestore.Span
		for i := range n {
			ss = append(ss, span(traceA, fmt.Sprintf("%016x", i+1), ""))
		}
		return ss
	}
	withTags := span(traceA, spanA, "")
	for i := range 5 {
		withTags.Tags = append(withTags.Tags, tracestore.Tag{Key: fmt.Sprint("k", i), Value: "v"})
	}
	withLogs := span(traceA, spanA, "")
	for range 5 {
		withLogs.Logs = append(withLogs.Logs, tracestore.Log{Time: withLogs.Start, Message: "m"})
	}
	huge := span(traceA, spanA, "")
	huge.Tags = []tracestore.Tag{{Key: "big", Value: strings.Repeat("x", 300)}}
	badUTF8 := span(traceA, spanA, "")
	badUTF8.Operation = "op\xff"
	small := Limits{MaxSpans: 3, MaxTags: 4, MaxLogs: 4, MaxValueBytes: 200, MaxLineBytes: 1000, MaxBodyBytes: 4000}
	for _, tc := range []struct {
		name     string
		body     []byte
		accepted int
		reason   string // of every rejection
		err      error
	}{
		{"within", body(t, many(3)...), 3, "", nil},
		{"too many spans", body(t, many(5)...), 3, ReasonTooMany, nil},
		{"too many tags", body(t, withTags), 0, ReasonTags, nil},
		{"too many logs", body(t, withLogs), 0, ReasonLogs, nil},
		{"value too long", body(t, huge), 0, ReasonValue, nil},
		// encoding/json replaces invalid UTF-8 with U+FFFD: stored, not rejected
		{"invalid utf-8 replaced", body(t, badUTF8), 1, "", nil},
		{"line too long", append(body(t, span(traceA, spanA, "")), `{"trace_id":"`+strings.Repeat("a", 2000)+"\"}\n"...), 1, ReasonLine, nil},
		{"body too large", body(t, many(40)...), 0, "", ErrTooLarge},
		{"no newline at the end", bytes.TrimSuffix(body(t, many(2)...), []byte("\n")), 2, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := DecodeNDJSON(bytes.NewReader(tc.body), small)
			if tc.err != nil || err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("error %v, want %v", err, tc.err)
				}
				return
			}
			if len(res.Spans) != tc.accepted {
				t.Errorf("accepted %d spans, want %d", len(res.Spans), tc.accepted)
			}
			if tc.reason != "" && (res.Rejected == 0 || res.Reasons[tc.reason] != res.Rejected) {
				t.Errorf("rejected %d, reasons %v, want all %q", res.Rejected, res.Reasons, tc.reason)
			}
			if tc.reason == "" && res.Rejected != 0 {
				t.Errorf("rejected %d (%v), want none", res.Rejected, res.Reasons)
			}
		})
	}
}

// TestDecodeNDJSONRoundTrip: what EncodeNDJSON writes decodes to the same
// spans, times in UTC.
func TestDecodeNDJSONRoundTrip(t *testing.T) {
	s := span(traceA, spanB, spanA)
	s.Start = s.Start.In(time.FixedZone("x", 3600))
	s.Error, s.ErrorType, s.Host = "boom", "*errors.errorString", "h"
	s.Tags = []tracestore.Tag{{Key: "k", Value: "<v&>"}}
	s.Logs = []tracestore.Log{{Time: s.Start, Message: "m", Fields: []tracestore.Tag{{Key: "f", Value: "1"}}}}
	res, err := DecodeNDJSON(bytes.NewReader(body(t, s)), Limits{})
	if err != nil || len(res.Spans) != 1 {
		t.Fatalf("%v, %+v", err, res)
	}
	got := res.Spans[0]
	if got.Start.Location() != time.UTC || !got.Start.Equal(s.Start) {
		t.Errorf("start %v, want %v in UTC", got.Start, s.Start)
	}
	s.Start, s.Logs[0].Time = s.Start.UTC(), s.Logs[0].Time.UTC()
	if !equalSpan(got, s) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, s)
	}
}

func equalSpan(a, b tracestore.Span) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb) && a.Start.Equal(b.Start)
}
