// Package otel connects jstrace spans to OpenTelemetry: it exports them
// over OTLP/HTTP (to an OpenTelemetry collector, Jaeger, Tempo, or a vendor
// such as Datadog, New Relic or Honeycomb) and as Zipkin v2 JSON, through
// OpenTelemetry's own Go exporters, and converts span contexts between the
// two.
//
// Importing the package registers the exporters "otlp" and "zipkin" with
// package export, so that a service run with
//
//	JSTRACE_EXPORTERS=otlp JSTRACE_OTLP_ENDPOINT=http://collector:4318
//
// exports its spans; [NewOTLP] and [NewZipkin] build them with options
// (headers for API keys, timeouts). The root package jstrace and the agent
// never import OpenTelemetry: only programs that import this package pay
// for it.
//
// # Mapping
//
// A span's tags become attributes, its logs events, its error the status
// Error with an "exception" event; the process's service name, version,
// host and default tags become the resource (see [ReadOnlySpan]). The tag
// "span.kind" ([KindTag]) sets the span kind: "server", "client",
// "producer", "consumer" or "internal" (the default).
//
// # Bridge
//
// A service instrumented with OpenTelemetry becomes dynamically traceable
// by adding [NewSpanProcessor] to its TracerProvider: its spans then fire
// jstrace's span:start and span:end probes, which `jstrace` scripts read
// as they read jstrace's own spans.
//
// In a service already instrumented with OpenTelemetry,
// [ContextWithOTelParent] makes jstrace spans children of the
// OpenTelemetry span in a context, and [SpanContext] makes OpenTelemetry
// spans children of a jstrace span; [ToOTel] and [FromOTel] convert span
// contexts.
package otel
