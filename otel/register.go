package otel

import (
	"context"
	"fmt"

	"github.com/jstrace-go/jstrace/export"
)

// init registers "otlp" and "zipkin" with package export, configured by
// their environment variables (JSTRACE_OTLP_ENDPOINT,
// JSTRACE_ZIPKIN_ENDPOINT), so that JSTRACE_EXPORTERS=otlp,zipkin works
// in any program that imports this package.
func init() {
	export.Register("otlp", func() (export.Exporter, error) {
		return NewOTLP(context.Background(), OTLPOptions{})
	})
	export.Register("zipkin", func() (export.Exporter, error) {
		return NewZipkin(ZipkinOptions{})
	})
}

func wrap(what string, err error) error { return fmt.Errorf("%s: %w", what, err) }
