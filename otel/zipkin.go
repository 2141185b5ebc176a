package otel

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/exporters/zipkin"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/export"
)

// DefaultZipkinEndpoint is where NewZipkin sends spans when neither
// ZipkinOptions.Endpoint nor $JSTRACE_ZIPKIN_ENDPOINT is set: a Zipkin
// (or Jaeger) on this host.
const DefaultZipkinEndpoint = "http://127.0.0.1:9411/api/v2/spans"

// ZipkinOptions configure [NewZipkin]. The zero value sends to
// DefaultZipkinEndpoint.
type ZipkinOptions struct {
	// Endpoint is the full URL of the Zipkin v2 JSON API (http or https),
	// used as it is (user info as basic authentication); errors show it
	// without user info and query. Default: $JSTRACE_ZIPKIN_ENDPOINT,
	// else DefaultZipkinEndpoint.
	Endpoint string
	// Headers are sent with every request: tokens go here, never into
	// the URL. They are never logged or put in errors. Default: none.
	Headers map[string]string
	// Timeout bounds one ExportSpans call. Default: DefaultTimeout.
	Timeout time.Duration
	// HTTPClient sends the requests; its Timeout is kept if set.
	// Default: a client of its own.
	HTTPClient *http.Client
}

// zipkinExporter is NewZipkin's exporter.
type zipkinExporter struct {
	exp      *zipkin.Exporter
	timeout  time.Duration
	shutdown atomic.Bool
	scrub    func(error) error
}

var _ export.Exporter = (*zipkinExporter)(nil)

// NewZipkin returns an exporter that sends spans as Zipkin v2 JSON to
// Zipkin, Jaeger or any backend with Zipkin's API: one request per
// ExportSpans. Zipkin has no span events: logs and the error's exception
// become annotations (their attributes are lost), and the error's message
// the tag "error". It connects to nothing until it exports. The exporter
// is safe for concurrent use.
func NewZipkin(o ZipkinOptions) (export.Exporter, error) {
	u, red, err := endpoint(o.Endpoint, "JSTRACE_ZIPKIN_ENDPOINT", DefaultZipkinEndpoint)
	if err != nil {
		return nil, wrap("zipkin", err)
	}
	to := timeout(o.Timeout)
	c := o.HTTPClient
	if c == nil {
		c = &http.Client{Timeout: to}
	}
	opts := []zipkin.Option{zipkin.WithClient(c)}
	if len(o.Headers) > 0 {
		opts = append(opts, zipkin.WithHeaders(o.Headers))
	}
	exp, err := zipkin.New(u.String(), opts...)
	if err != nil {
		return nil, scrub(err, u, red, "zipkin: new exporter")
	}
	return &zipkinExporter{exp: exp, timeout: to, scrub: func(err error) error { return scrub(err, u, red, "zipkin: export") }}, nil
}

// ExportSpans sends spans in one request.
func (e *zipkinExporter) ExportSpans(ctx context.Context, spans []*jstrace.SpanData) error {
	if e.shutdown.Load() {
		return wrap("zipkin", errShutdown)
	}
	if len(spans) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	return e.scrub(e.exp.ExportSpans(ctx, ReadOnlySpans(spans)))
}

// Shutdown stops the exporter: later exports fail.
func (e *zipkinExporter) Shutdown(ctx context.Context) error {
	e.shutdown.Store(true)
	return e.scrub(e.exp.Shutdown(ctx))
}

// BorrowsSpans: OpenTelemetry's exporter encodes the batch during the
// call, and keeps nothing of it.
func (e *zipkinExporter) BorrowsSpans() {}
