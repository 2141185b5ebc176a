package export

import (
	"bytes"
	"strconv"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/waterfall"
)

// waterfall renders spans (one trace, in any order) as a tree, one line
// per span under a header, and a blank line:
//
//	trace 4bf92f3577b34da6a3ce929d0e0e4736  3 spans  12.35ms
//	gateway: GET /orders       [██████████████████████]   12.35ms
//	  gateway: load user       [..█████...............]    2.10ms
//
// Spans whose parent is not among them (the local root; more in a
// partial trace) are the tree's roots. The layout is package
// internal/waterfall's, which jstrace trace shares.
func writeWaterfall(b *bytes.Buffer, spans []*jstrace.SpanData, more int, partial bool, width, gauge int, color bool) {
	if len(spans) == 0 {
		return
	}
	ws := make([]waterfall.Span, len(spans))
	for i, d := range spans {
		w := &ws[i]
		w.ID, w.Operation, w.Start, w.Duration = d.SpanID.String(), d.Operation, d.Start, d.Duration
		if d.ParentID.IsValid() && !d.RemoteParent {
			w.Parent = d.ParentID.String()
		}
		if d.Resource != nil {
			w.Service = d.Resource.Service
		}
		if e := d.Error; e != nil {
			w.Failed, w.Error, w.ErrorType = true, e.Message, e.Type
		}
	}
	l := waterfall.New(ws, waterfall.Options{Width: width, Gauge: gauge, Color: color})

	head := "trace " + spans[0].TraceID.String() + "  " + waterfall.Plural(len(spans)+more, "span") + "  " + waterfall.FormatDuration(l.Total())
	if more > 0 {
		head += "  (" + strconv.Itoa(more) + " not shown)"
	}
	if partial {
		head += "  (partial)"
	}
	l.WriteHeader(b, head)
	l.WriteSpans(b)
	b.WriteByte('\n')
}
