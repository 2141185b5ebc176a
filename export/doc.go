// Package export sends the spans of this process to where people read
// them, without a jstrace CLI attached: a console waterfall, probe events,
// and, through package github.com/jstrace-go/jstrace/otel, OTLP (Jaeger,
// Tempo, Datadog, Honeycomb…) and Zipkin.
//
// A [Pipeline] receives every sampled span when it ends (see
// [jstrace.OnSpanEnd]), queues it for each [Exporter] and exports batches
// from one goroutine per exporter. The span's goroutine never waits: a
// queue that is full drops the span and counts it ([Pipeline.Stats]);
// drops are logged with a constant message, at most once per interval,
// from the pipeline's own goroutine. A slow or dead backend fills its own
// queue only; the other exporters go on.
//
//	p, err := export.Start(export.Options{
//		Exporters: []export.Exporter{export.Console(os.Stderr, export.ConsoleOptions{})},
//	})
//	if err != nil {
//		return err
//	}
//	defer p.Shutdown(context.Background()) // flushes what is queued
//
// A service that embeds the agent (package agent) needs none of this: the
// agent runs a pipeline of the exporters named in $JSTRACE_EXPORTERS
// ([FromEnv]) and of its Options.Export, applies $JSTRACE_SAMPLER
// ([SamplerFromEnv]) and flushes at its Shutdown.
//
// Exporters are named in a registry ([Register], [Named]): "console"
// ([Console] on stderr), "event" ([Event]) and "collector" ([Collector],
// to `jstrace collect --listen`) are built in; "otlp" and
// "zipkin" are registered by importing package
// github.com/jstrace-go/jstrace/otel, which keeps OpenTelemetry's modules
// out of programs that do not want them.
//
// Sampling still decides what is recorded: only spans of sampled traces
// reach exporters ([jstrace.TracingOptions.Sampler]), and spans record only
// while a pipeline (or another [jstrace.OnSpanEnd] function) runs.
package export
