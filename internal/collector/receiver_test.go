package collector

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

func newServer(t testing.TB, st *memStore, wo WriterOptions, l Limits) (*httptest.Server, *Writer) {
	w := NewWriter(st, wo)
	srv := httptest.NewServer(&Receiver{Writer: w, Limits: l})
	t.Cleanup(func() {
		srv.Close()
		w.Close(t.Context())
	})
	return srv, w
}

func post(t testing.TB, url, ctype, enc string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	if enc != "" {
		req.Header.Set("Content-Encoding", enc)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	z.Write(b)
	z.Close()
	return buf.Bytes()
}

func TestReceiverSpans(t *testing.T) {
	const ndjson = "application/x-ndjson"
	bomb := gz(append(body(t, span(traceA, spanA, "")), bytes.Repeat([]byte("\n"), 1<<20)...))
	for _, tc := range []struct {
		name, enc string
		body      []byte
		code      int
		want      Response
	}{
		{"ok", "", body(t, span(traceA, spanA, ""), span(traceA, spanB, spanA)), 200, Response{Accepted: 2}},
		{"gzip", "gzip", gz(body(t, span(traceA, spanA, ""))), 200, Response{Accepted: 1}},
		{"some rejected", "", body(t, span(traceA, spanA, ""), span("bad", spanB, "")), 200,
			Response{Accepted: 1, Rejected: 1, Errors: []LineError{{Line: 3, Reason: ReasonTraceID}}}},
		{"all rejected", "", body(t, span("bad", spanB, "")), 400,
			Response{Rejected: 1, Errors: []LineError{{Line: 2, Reason: ReasonTraceID}}, Error: "every span was rejected"}},
		{"no header", "", []byte(`{"trace_id":"x"}`), 400, Response{}},
		{"too large", "", body(t, spans(100)...), 413, Response{}},
		{"gzip bomb", "gzip", bomb, 413, Response{}},
		{"bad gzip", "gzip", []byte("not gzip"), 415, Response{}},
		{"unknown encoding", "br", []byte("x"), 415, Response{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newMemStore()
			srv, w := newServer(t, st, WriterOptions{Interval: time.Millisecond}, Limits{MaxBodyBytes: 8 << 10})
			code, b := post(t, srv.URL+PathSpans, ndjson, tc.enc, tc.body)
			if code != tc.code {
				t.Fatalf("status %d, want %d: %s", code, tc.code, b)
			}
			var got Response
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("response %q: %v", b, err)
			}
			if code == 200 || tc.want.Error != "" {
				gj, _ := json.Marshal(got)
				wj, _ := json.Marshal(tc.want)
				if !bytes.Equal(gj, wj) {
					t.Errorf("response %s, want %s", gj, wj)
				}
			} else if got.Error == "" {
				t.Errorf("response %s: no error", b)
			}
			w.Close(t.Context())
			if st.count() != tc.want.Accepted || w.Stats().Rejected != uint64(tc.want.Rejected) {
				t.Errorf("stored %d, rejected %d; want %d, %d", st.count(), w.Stats().Rejected, tc.want.Accepted, tc.want.Rejected)
			}
			if refused := code != 200 && tc.want.Rejected == 0; w.Stats().Refused != map[bool]uint64{true: 1}[refused] {
				t.Errorf("requests refused: %d, want %v", w.Stats().Refused, refused)
			}
		})
	}
}

func TestReceiverOverloaded(t *testing.T) {
	st := newMemStore()
	st.block = make(chan struct{})
	defer close(st.block)
	srv, _ := newServer(t, st, WriterOptions{QueueSpans: 2, BatchSize: 2, Interval: time.Hour}, Limits{})
	code, b := post(t, srv.URL+PathSpans, "application/x-ndjson", "", body(t, spans(5)...))
	var got Response
	json.Unmarshal(b, &got)
	if code != 503 || got.Accepted != 2 || got.Dropped != 3 {
		t.Errorf("status %d, %s; want 503 with 2 accepted, 3 dropped", code, b)
	}
}

func TestReceiverMethodsAndPaths(t *testing.T) {
	srv, _ := newServer(t, newMemStore(), WriterOptions{}, Limits{})
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{"GET", PathSpans, 405},
		{"GET", PathTraces, 405},
		{"POST", "/v1/other", 404},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(""))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.code)
		}
	}
}

func TestReceiverOTLP(t *testing.T) {
	st := newMemStore()
	srv, w := newServer(t, st, WriterOptions{Interval: time.Millisecond}, Limits{})
	good := &tracepb.Span{TraceId: tid, SpanId: sid, Name: "charge", StartTimeUnixNano: t0, EndTimeUnixNano: t0 + 5}
	bad := &tracepb.Span{TraceId: tid[:3], SpanId: pid, Name: "x"}
	code, b := post(t, srv.URL+PathTraces, "application/x-protobuf", "", otlpBody(t, good, bad))
	if code != 200 {
		t.Fatalf("status %d: %s", code, b)
	}
	// ExportTraceServiceResponse{partial_success{rejected_spans: 1, error_message}}
	num, typ, n := protowire.ConsumeTag(b)
	ps, m := protowire.ConsumeBytes(b[max(n, 0):])
	if num != 1 || typ != protowire.BytesType || m < 0 {
		t.Fatalf("response %x: not a partial_success", b)
	}
	num, _, n = protowire.ConsumeTag(ps)
	rejected, _ := protowire.ConsumeVarint(ps[max(n, 0):])
	if num != 1 || rejected != 1 {
		t.Errorf("rejected_spans %d (field %d), want 1", rejected, num)
	}
	code, b = post(t, srv.URL+PathTraces, "application/x-protobuf", "gzip", gz(otlpBody(t, good)))
	if code != 200 || len(b) != 0 {
		t.Errorf("all accepted: status %d, body %x; want 200, empty", code, b)
	}
	if code, b = post(t, srv.URL+PathTraces, "application/json", "", []byte("{}")); code != 415 {
		t.Errorf("OTLP JSON: status %d (%s), want 415", code, b)
	}
	if code, b = post(t, srv.URL+PathTraces, "application/x-protobuf", "", []byte("\xff\xff")); code != 400 {
		t.Errorf("garbage: status %d (%s), want 400", code, b)
	}
	w.Close(t.Context())
	if s, ok := st.get(traceA, spanA); !ok || s.Operation != "charge" {
		t.Errorf("stored %+v, %v", s, ok)
	}
}

// BenchmarkReceiver posts batches of 1000 spans over real HTTP into an
// in-memory store: the receiver's own cost (decoding, queueing).
func BenchmarkReceiver(b *testing.B) {
	st := newMemStore()
	srv, w := newServer(b, st, WriterOptions{QueueSpans: 1 << 20}, Limits{})
	payload := body(b, spans(1000)...)
	b.ResetTimer()
	for range b.N {
		if code, resp := post(b, srv.URL+PathSpans, "application/x-ndjson", "", payload); code != 200 {
			b.Fatalf("%d %s", code, resp)
		}
	}
	w.Close(b.Context())
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "spans/s")
}

func BenchmarkDecodeNDJSON(b *testing.B) {
	payload := body(b, spans(1000)...)
	b.SetBytes(int64(len(payload)))
	for range b.N {
		if _, err := DecodeNDJSON(bytes.NewReader(payload), Limits{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "spans/s")
}

// A request past MaxConcurrent is answered 503 at once, and counted;
// once the others are done, requests are read again.
func TestReceiverConcurrency(t *testing.T) {
	st := newMemStore()
	srv, w := newServer(t, st, WriterOptions{Interval: time.Millisecond}, Limits{MaxConcurrent: 1})
	pr, pw := io.Pipe()
	done := make(chan int)
	go func() { // holds the only slot: its body is not finished
		resp, err := http.Post(srv.URL+PathSpans, "application/x-ndjson", pr)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	pw.Write([]byte("{\"jstrace_spans\":1}\n"))
	var code int
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if code, _ = post(t, srv.URL+PathSpans, "application/x-ndjson", "", body(t, span(traceA, spanA, ""))); code == 503 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a second request while one is read: %d, want 503", code)
		}
	}
	pw.Close()
	if c := <-done; c != 200 {
		t.Errorf("the first request: %d", c)
	}
	if code, b := post(t, srv.URL+PathSpans, "application/x-ndjson", "", body(t, span(traceA, spanA, ""))); code != 200 {
		t.Errorf("after: %d %s", code, b)
	}
	if w.Stats().Refused == 0 {
		t.Error("the busy request was not counted")
	}
}
