package export

import (
	"context"

	"github.com/jstrace-go/jstrace"
)

// spanExport is the probe of the event exporter.
var spanExport = jstrace.NewProbe("span:export")

// Event returns the event exporter (registered as "event"): it fires the
// probe "span:export" once per exported span, so that `jstrace` scripts
// and [jstrace.On] see whole spans, with their tags, logs and error,
// as exporters do (Moleculer's Event exporter). Its fields:
//
//	trace_id, span_id, parent_id   hex ("" for a root's parent)
//	remote_parent                  bool: the parent is in another process
//	service, operation             strings
//	start                          time.Time
//	duration                       time.Duration
//	error                          the error's message, "" without one
//	error_type                     its Go type, "" without one
//	tags                           map[string]any
//	logs                           []any of map[string]any: time, message, fields (a map)
//
// While no session subscribes to "span:export", it costs one atomic
// load per batch. The probe fires on the pipeline's goroutine, after the
// span ended (batched: up to Options.Interval later), with no context.
// It is safe for concurrent use.
func Event() Exporter { return eventExporter{} }

type eventExporter struct{}

func (eventExporter) ExportSpans(ctx context.Context, spans []*jstrace.SpanData) error {
	for _, d := range spans {
		if !spanExport.Enabled() {
			return nil
		}
		emitSpan(d)
	}
	return nil
}

func (eventExporter) Shutdown(context.Context) error { return nil }

// BorrowsSpans: the probe's fields are copies, built during the call.
func (eventExporter) BorrowsSpans() {}

func emitSpan(d *jstrace.SpanData) {
	service, errMsg, errType := "", "", ""
	if d.Resource != nil {
		service = d.Resource.Service
	}
	if d.Error != nil {
		errMsg, errType = d.Error.Message, d.Error.Type
	}
	var logs []any
	for _, l := range d.Logs {
		logs = append(logs, map[string]any{"time": l.Time, "message": l.Message, "fields": fieldMap(l.Fields)})
	}
	spanExport.Emit(
		"trace_id", d.TraceID.String(),
		"span_id", d.SpanID.String(),
		"parent_id", d.ParentID.String(),
		"remote_parent", d.RemoteParent,
		"service", service,
		"operation", d.Operation,
		"start", d.Start,
		"duration", d.Duration,
		"error", errMsg,
		"error_type", errType,
		"tags", fieldMap(d.Tags),
		"logs", logs,
	)
}

func fieldMap(fs []jstrace.Field) map[string]any {
	m := make(map[string]any, len(fs))
	for _, f := range fs {
		m[f.Key] = f.Value
	}
	return m
}
