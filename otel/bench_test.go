package otel_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/export"
	"github.com/jstrace-go/jstrace/otel"
)

// batch returns n spans: testTrace's, repeated (a third of them failed).
func batch(b *testing.B, n int) []*jstrace.SpanData {
	trace := testTrace(b, "bench-svc")
	var spans []*jstrace.SpanData
	for len(spans) < n {
		spans = append(spans, trace...)
	}
	return spans[:n]
}

func BenchmarkConvert(b *testing.B) {
	spans := batch(b, 99)
	b.ReportAllocs()
	for b.Loop() {
		otel.ReadOnlySpans(spans)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(spans)), "ns/span")
}

// BenchmarkExport sends batches of 100 spans to a loopback receiver that
// discards them: the exporters' throughput, conversion and encoding
// included.
func BenchmarkExport(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	spans := batch(b, 100)
	for _, e := range []struct {
		name string
		new  func() (export.Exporter, error)
	}{
		{"otlp", func() (export.Exporter, error) {
			return otel.NewOTLP(context.Background(), otel.OTLPOptions{Endpoint: srv.URL})
		}},
		{"zipkin", func() (export.Exporter, error) { return otel.NewZipkin(otel.ZipkinOptions{Endpoint: srv.URL}) }},
	} {
		b.Run(e.name, func(b *testing.B) {
			exp, err := e.new()
			if err != nil {
				b.Fatal(err)
			}
			defer exp.Shutdown(context.Background())
			b.ReportAllocs()
			for b.Loop() {
				if err := exp.ExportSpans(context.Background(), spans); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(spans))/b.Elapsed().Seconds(), "spans/s")
		})
	}
}
