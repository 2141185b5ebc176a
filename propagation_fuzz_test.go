package jstrace_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/jstrace-go/jstrace"
)

// The forms a value Extract accepts must have; anything else must leave
// the context unchanged. A later version's tail after its fourth field
// is ignored, whatever it holds (it is never sent on).
var (
	validTraceparent = regexp.MustCompile(`(?s)^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-.*)?$`)
	validXTrace      = regexp.MustCompile(`^([0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$`)
	validXSpan       = regexp.MustCompile(`^[0-9a-fA-F]{16}$`)
	validState       = regexp.MustCompile(`^([a-z0-9_*/@-]+=[ -+\--<>-~]*[!-+\--<>-~])(,[a-z0-9_*/@-]+=[ -+\--<>-~]*[!-+\--<>-~])*$`)
)

// FuzzExtract feeds Extract arbitrary headers: it never panics, never
// accepts a value of the wrong form or with a zero ID, never returns
// bytes it was not given, and what it accepts Inject writes back in the
// canonical form Extract reads again as the same span context.
func FuzzExtract(f *testing.F) {
	for _, tc := range extractCases {
		f.Add(tc.headers["traceparent"], tc.headers["tracestate"], tc.headers["X-Trace-ID"], tc.headers["X-Span-ID"])
	}
	f.Fuzz(func(t *testing.T, tp, ts, xt, xs string) {
		c := jstrace.MapCarrier{"traceparent": tp, "tracestate": ts, "x-trace-id": xt, "x-span-id": xs}
		ctx := context.Background()
		got := jstrace.Extract(ctx, c)
		s := jstrace.SpanFromContext(got)
		if s == nil {
			if got != ctx {
				t.Fatal("context changed without a parent")
			}
			return
		}
		sc := s.SpanContext()
		if !sc.TraceID.IsValid() || !sc.Remote {
			t.Fatalf("accepted %+v", sc)
		}
		fromTP := sc.SpanID.IsValid() && validTraceparent.MatchString(tp) && tp[:2] != "ff" && strings.Contains(tp, sc.TraceID.String()+"-"+sc.SpanID.String())
		fromX := validXTrace.MatchString(xt) && strings.EqualFold(strings.ReplaceAll(xt, "-", ""), sc.TraceID.String()) &&
			(validXSpan.MatchString(xs) && strings.EqualFold(xs, sc.SpanID.String()) || !sc.SpanID.IsValid()) // X-Trace-ID alone: no parent span
		if !fromTP && !fromX {
			t.Fatalf("accepted %+v from traceparent %q x %q %q", sc, tp, xt, xs)
		}
		if sc.TraceState != "" && (!fromTP || !validState.MatchString(sc.TraceState) || len(sc.TraceState) > 512) {
			t.Fatalf("kept tracestate %q from %q", sc.TraceState, ts)
		}
		if !sc.SpanID.IsValid() {
			// Nothing to send on but through a span of ours (Inject needs a span ID).
			out := jstrace.MapCarrier{}
			jstrace.Inject(got, out)
			if len(out) != 0 {
				t.Fatalf("injected %v from a parent without a span ID", out)
			}
			return
		}

		// Round trip through both carriers.
		for name, out := range map[string]jstrace.Carrier{"map": jstrace.MapCarrier{}, "http": http.Header{}} {
			jstrace.Inject(got, out)
			back := jstrace.SpanFromContext(jstrace.Extract(context.Background(), out)).SpanContext()
			if back != sc {
				t.Fatalf("%s: round trip %+v, want %+v", name, back, sc)
			}
		}
	})
}
