package otel_test

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/otel"
)

// A jstrace handler span S calls an OpenTelemetry-instrumented library,
// which starts OTel span O as S's child (as the bridge docs advise); code
// inside O bridges with ContextWithOTelParent and starts jstrace span J.
// J must be O's child; ContextWithOTelParent sees a jstrace span of the
// same trace and keeps S as J's parent: O vanishes from J's ancestry.
func TestReviewOTelChildOfJstraceSpan(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	defer tp.Shutdown(context.Background())
	ctx, s := jstrace.StartSpan(context.Background(), "S")
	defer s.End()
	octx, o := tp.Tracer("lib").Start(trace.ContextWithSpanContext(ctx, otel.SpanContext(s)), "O")
	defer o.End()
	_, j := jstrace.StartSpan(otel.ContextWithOTelParent(octx), "J")
	defer j.End()
	if want := jstrace.SpanID(o.SpanContext().SpanID()); j.ParentID() != want {
		t.Errorf("J's parent %s, want the OTel span %s (S is %s)", j.ParentID(), want, s.SpanID())
	}
}
