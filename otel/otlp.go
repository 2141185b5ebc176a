package otel

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/export"
)

// DefaultOTLPEndpoint is where NewOTLP sends spans when neither
// OTLPOptions.Endpoint nor $JSTRACE_OTLP_ENDPOINT is set: an
// OpenTelemetry collector or Jaeger on this host.
const DefaultOTLPEndpoint = "http://127.0.0.1:4318"

// OTLPOptions configure [NewOTLP]. The zero value sends to
// DefaultOTLPEndpoint.
type OTLPOptions struct {
	// Endpoint is the receiver's base URL (http or https), as
	// OpenTelemetry's OTEL_EXPORTER_OTLP_ENDPOINT: /v1/traces is added to
	// its path ("https://otlp.example.com/otlp" posts to
	// /otlp/v1/traces) unless the path already ends with it. Its user
	// info and query are not sent: credentials go in Headers. Default:
	// $JSTRACE_OTLP_ENDPOINT, else DefaultOTLPEndpoint.
	Endpoint string
	// Headers are sent with every request: API keys and tokens go here
	// (never into the URL). They are never logged or put in errors.
	// Default: none, or OpenTelemetry's $OTEL_EXPORTER_OTLP_HEADERS.
	Headers map[string]string
	// Timeout bounds one ExportSpans call, retries included. Default:
	// DefaultTimeout.
	Timeout time.Duration
	// Gzip compresses request bodies. Default: false.
	Gzip bool
	// HTTPClient sends the requests (its transport: proxies, TLS).
	// Default: a client of its own.
	HTTPClient *http.Client
}

// otlpExporter is NewOTLP's exporter.
type otlpExporter struct {
	exp      *otlptrace.Exporter
	timeout  time.Duration
	shutdown atomic.Bool
	scrub    func(error) error
}

var _ export.Exporter = (*otlpExporter)(nil)

// NewOTLP returns an exporter that sends spans over OTLP/HTTP (protobuf)
// to an OpenTelemetry collector, Jaeger, Tempo or any vendor that ingests
// OTLP: one request per ExportSpans, retried within the timeout. It
// connects to nothing until it exports; ctx bounds only its setup. The
// exporter is safe for concurrent use.
func NewOTLP(ctx context.Context, o OTLPOptions) (export.Exporter, error) {
	u, red, err := endpoint(o.Endpoint, "JSTRACE_OTLP_ENDPOINT", DefaultOTLPEndpoint)
	if err != nil {
		return nil, wrap("otlp", err)
	}
	path := otlpPath(u.Path)
	to := timeout(o.Timeout)
	opts := []otlptracehttp.Option{
		otlptracehttp.WithEndpoint(u.Host),
		otlptracehttp.WithURLPath(path),
		otlptracehttp.WithTimeout(to),
		// Retry within the timeout only: a dead backend costs one
		// timeout per batch, never a minute.
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{
			Enabled: true, InitialInterval: 100 * time.Millisecond,
			MaxInterval: time.Second, MaxElapsedTime: to,
		}),
	}
	if u.Scheme == "http" {
		opts = append(opts, otlptracehttp.WithInsecure())
	}
	if len(o.Headers) > 0 {
		opts = append(opts, otlptracehttp.WithHeaders(o.Headers))
	}
	if o.Gzip {
		opts = append(opts, otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
	}
	if o.HTTPClient != nil {
		opts = append(opts, otlptracehttp.WithHTTPClient(o.HTTPClient))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, scrub(err, u, red, "otlp: new exporter")
	}
	return &otlpExporter{exp: exp, timeout: to, scrub: func(err error) error { return scrub(err, u, red, "otlp: export") }}, nil
}

// ExportSpans sends spans in one request (retried within the timeout).
func (e *otlpExporter) ExportSpans(ctx context.Context, spans []*jstrace.SpanData) error {
	if e.shutdown.Load() {
		return wrap("otlp", errShutdown)
	}
	if len(spans) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	return e.scrub(e.exp.ExportSpans(ctx, ReadOnlySpans(spans)))
}

// Shutdown stops the exporter: later exports fail. It waits for exports
// under way until ctx is done.
func (e *otlpExporter) Shutdown(ctx context.Context) error {
	e.shutdown.Store(true)
	return e.scrub(e.exp.Shutdown(ctx))
}

// BorrowsSpans: OpenTelemetry's exporter encodes the batch during the
// call, and keeps nothing of it.
func (e *otlpExporter) BorrowsSpans() {}

// otlpPath is the path spans are posted to for an endpoint's path: the
// base path with /v1/traces added, unless it is there already.
func otlpPath(base string) string {
	base = strings.TrimSuffix(base, "/")
	if strings.HasSuffix(base, "/v1/traces") {
		return base
	}
	return base + "/v1/traces"
}
