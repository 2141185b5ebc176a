package otel_test

import (
	"context"
	"strings"
	"testing"
	"time"

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

// A token given as the user name with an empty password
// (https://TOKEN:@host, a common form for API keys) is printed by the
// export error: net/http redacts it as "TOKEN:xxxxx@", which scrub's
// replacements (full URL, non-empty password, query) do not match.
func TestReviewZipkinTokenUserNotPrinted(t *testing.T) {
	addr := hang(t)
	zip, err := otel.NewZipkin(otel.ZipkinOptions{
		Endpoint: "http://sekrettoken:@" + addr + "/api/v2/spans",
		Timeout:  200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer zip.Shutdown(context.Background())
	err = zip.ExportSpans(context.Background(), testTrace(t, "tok-svc"))
	if err == nil || strings.Contains(err.Error(), "sekret") {
		t.Errorf("error %q: want one without the token", err)
	}
}
