package export_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/export"
	"github.com/jstrace-go/jstrace/internal/collector"
	"github.com/jstrace-go/jstrace/internal/tracestore"
)

// putStore is a tracestore.Store that keeps what is put, for the
// receiver the tests run.
type putStore struct {
	mu    sync.Mutex
	spans []tracestore.Span
}

func (s *putStore) Put(_ context.Context, spans []tracestore.Span) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spans = append(s.spans, spans...)
	return nil
}
func (s *putStore) Trace(context.Context, string) ([]tracestore.Span, error) { return nil, nil }
func (s *putStore) Slow(context.Context, tracestore.Query) ([]tracestore.Summary, error) {
	return nil, nil
}
func (s *putStore) Errors(context.Context, tracestore.Query) ([]tracestore.Summary, error) {
	return nil, nil
}
func (s *putStore) Recent(context.Context, tracestore.Query) ([]tracestore.Summary, error) {
	return nil, nil
}
func (s *putStore) Close() error { return nil }

// receiver runs the collector's real receiver; requests counts the
// requests it got, auth the last basic authentication.
type receiver struct {
	srv      *httptest.Server
	store    *putStore
	w        *collector.Writer
	mu       sync.Mutex
	requests int
	auth     string
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{store: &putStore{}}
	r.w = collector.NewWriter(r.store, collector.WriterOptions{Interval: time.Millisecond})
	rc := &collector.Receiver{Writer: r.w}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.requests++
		if u, p, ok := req.BasicAuth(); ok {
			r.auth = u + ":" + p
		}
		r.mu.Unlock()
		rc.ServeHTTP(w, req)
	}))
	t.Cleanup(func() { r.srv.Close(); r.w.Close(context.Background()) })
	return r
}

// stored flushes the writer and returns what the store has.
func (r *receiver) stored() []tracestore.Span {
	r.w.Close(context.Background())
	r.store.mu.Lock()
	defer r.store.mu.Unlock()
	return r.store.spans
}

var (
	tid  = jstrace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	t0   = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	proc = &jstrace.Resource{Service: "payments", Version: "1.2", Host: "pay-1", Tags: []jstrace.Field{{Key: "region", Value: "eu"}}}
)

func spanData(id, parent byte, op string) *jstrace.SpanData {
	d := &jstrace.SpanData{TraceID: tid, SpanID: jstrace.SpanID{7, id}, Resource: proc, Operation: op, Start: t0, Duration: time.Duration(id) * time.Millisecond}
	if parent != 0 {
		d.ParentID = jstrace.SpanID{7, parent}
	}
	return d
}

func TestCollectorExporter(t *testing.T) {
	r := newReceiver(t)
	e, err := export.Collector(export.CollectorOptions{Endpoint: r.srv.URL, BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	root := spanData(1, 0, "GET /checkout")
	root.Tags = []jstrace.Field{{Key: "status", Value: 200}, {Key: "took", Value: time.Second}}
	child := spanData(2, 1, "charge")
	child.Error = &jstrace.SpanError{Type: "*pay.Declined", Message: "card declined", Code: "E42"}
	child.Logs = []jstrace.SpanLog{{Time: t0.Add(time.Millisecond), Message: "retrying", Fields: []jstrace.Field{{Key: "attempt", Value: 2}}}}
	batch := []*jstrace.SpanData{root, child, spanData(3, 1, "db"), spanData(4, 1, "db"), spanData(5, 1, "db")}
	if err := e.ExportSpans(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	if err := e.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	requests := r.requests
	r.mu.Unlock()
	if requests != 3 {
		t.Errorf("%d requests for 5 spans in batches of 2, want 3", requests)
	}
	got := map[string]tracestore.Span{}
	for _, s := range r.stored() {
		got[s.SpanID] = s
	}
	if len(got) != 5 {
		t.Fatalf("stored %d spans, want 5: %+v", len(got), got)
	}
	s := got["0701000000000000"]
	if s.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" || s.ParentID != "" || s.Service != "payments" || s.Host != "pay-1" ||
		s.Operation != "GET /checkout" || !s.Start.Equal(t0) || s.Duration != time.Millisecond {
		t.Errorf("root %+v", s)
	}
	if tags := tagMap(s.Tags); tags["status"] != "200" || tags["took"] != "1s" || tags["service.version"] != "1.2" || tags["region"] != "eu" {
		t.Errorf("root's tags %v", s.Tags)
	}
	c := got["0702000000000000"]
	if c.ParentID != "0701000000000000" || c.Error != "card declined" || c.ErrorType != "*pay.Declined" || tagMap(c.Tags)["error.code"] != "E42" {
		t.Errorf("child %+v", c)
	}
	if len(c.Logs) != 1 || c.Logs[0].Message != "retrying" || c.Logs[0].Fields[0].Value != "2" || !c.Logs[0].Time.Equal(t0.Add(time.Millisecond)) {
		t.Errorf("child's logs %+v", c.Logs)
	}
	if err := e.ExportSpans(context.Background(), batch); err == nil {
		t.Error("export after Shutdown: no error")
	}
}

func tagMap(tags []tracestore.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

// The endpoint's user info and query never appear in an error; its user
// info is sent as basic authentication.
func TestCollectorExporterSecrets(t *testing.T) {
	r := newReceiver(t)
	e, err := export.Collector(export.CollectorOptions{Endpoint: strings.Replace(r.srv.URL, "http://", "http://alice:s3cret@", 1) + "/?token=t0ken"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ExportSpans(context.Background(), []*jstrace.SpanData{spanData(1, 0, "x")}); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	auth := r.auth
	r.mu.Unlock()
	if auth != "alice:s3cret" {
		t.Errorf("basic auth %q, want alice:s3cret", auth)
	}
	r.srv.Close() // now every post fails
	err = e.ExportSpans(context.Background(), []*jstrace.SpanData{spanData(1, 0, "x")})
	if err == nil {
		t.Fatal("posting to a closed server: no error")
	}
	for _, secret := range []string{"alice", "s3cret", "t0ken"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q shows %q", err, secret)
		}
	}
	if !strings.Contains(err.Error(), "/v1/spans") {
		t.Errorf("error %q does not say where", err)
	}
	for _, bad := range []string{"ftp://u:s3cret@host", "http://", "::s3cret"} {
		if _, err := export.Collector(export.CollectorOptions{Endpoint: bad}); err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("endpoint %q: %v", bad, err)
		}
	}
}

func TestCollectorExporterAnswers(t *testing.T) {
	for _, tc := range []struct {
		name    string
		answers []int // status of each request in turn; the last repeats
		body    string
		dropped int
		err     bool
	}{
		{"overloaded then ok", []int{503, 429, 200}, `{"accepted":1}`, 0, false},
		{"rejected", []int{200}, `{"accepted":1,"rejected":2}`, 2, false},
		{"all rejected", []int{400}, `{"rejected":3,"error":"every span was rejected"}`, 3, false},
		{"bad header", []int{400}, `{"error":"bad header"}`, 0, true},
		{"too large", []int{413}, `{"error":"body too large"}`, 0, true},
		{"overloaded past the timeout", []int{503}, `{}`, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := int(n.Add(1)) - 1
				w.WriteHeader(tc.answers[min(i, len(tc.answers)-1)])
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			e, _ := export.Collector(export.CollectorOptions{Endpoint: srv.URL, Timeout: 500 * time.Millisecond})
			err := e.ExportSpans(context.Background(), []*jstrace.SpanData{spanData(1, 0, "x")})
			var de *export.DroppedError
			switch {
			case tc.dropped > 0:
				if !errors.As(err, &de) || de.Spans != tc.dropped {
					t.Errorf("error %v, want %d spans dropped", err, tc.dropped)
				}
			case tc.err && err == nil, !tc.err && err != nil:
				t.Errorf("error %v, want one: %v", err, tc.err)
			}
		})
	}
}

// JSTRACE_EXPORTERS=collector builds it, posting to
// JSTRACE_COLLECTOR_ENDPOINT: a pipeline's spans reach the receiver.
func TestCollectorFromEnv(t *testing.T) {
	r := newReceiver(t)
	t.Setenv(export.EnvExporters, "collector")
	t.Setenv(export.EnvCollectorEndpoint, r.srv.URL)
	exps, err := export.FromEnv()
	if err != nil || len(exps) != 1 {
		t.Fatalf("%v, %v", exps, err)
	}
	p := start(t, export.Options{Exporters: exps, Interval: 5 * time.Millisecond})
	ctx, root := jstrace.StartSpan(context.Background(), "root")
	_, child := jstrace.StartSpan(ctx, "child")
	child.End()
	root.End()
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := r.stored()
	if len(got) != 2 || got[0].Service != "svc" || got[0].TraceID != got[1].TraceID {
		t.Errorf("stored %+v, want the 2 spans of one trace of svc", got)
	}
}

// BenchmarkCollectorExporter exports batches of 512 spans (the pipeline's
// default batch) to a server that reads and discards them: the exporter's
// own cost, encoding and HTTP.
func BenchmarkCollectorExporter(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte(`{"accepted":512}`))
	}))
	defer srv.Close()
	e, err := export.Collector(export.CollectorOptions{Endpoint: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Shutdown(context.Background())
	batch := make([]*jstrace.SpanData, 512)
	for i := range batch {
		d := spanData(byte(i%250+1), 1, "GET /orders")
		d.Tags = []jstrace.Field{{Key: "http.status", Value: 200}, {Key: "user", Value: "u-42"}}
		batch[i] = d
	}
	b.ResetTimer()
	for range b.N {
		if err := e.ExportSpans(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "spans/s")
}
