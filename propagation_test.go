package jstrace_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jstrace-go/jstrace"
)

const (
	tid  = "4bf92f3577b34da6a3ce929d0e0e4736"
	sid  = "00f067aa0ba902b7"
	tp00 = "00-" + tid + "-" + sid + "-01"
)

// extractCase is one carrier and the parent Extract must find in it:
// want "" means none (the next span starts a new trace).
type extractCase struct {
	name    string
	headers map[string]string
	want    string // "traceID/spanID/sampled" or ""
	state   string // the tracestate kept
}

var extractCases = []extractCase{
	{"w3c sampled", h("traceparent", tp00), tid + "/" + sid + "/true", ""},
	{"w3c not sampled", h("traceparent", "00-"+tid+"-"+sid+"-00"), tid + "/" + sid + "/false", ""},
	{"w3c other flags, sampled bit read", h("traceparent", "00-"+tid+"-"+sid+"-09"), tid + "/" + sid + "/true", ""},
	{"w3c other flags, not sampled", h("traceparent", "00-"+tid+"-"+sid+"-fe"), tid + "/" + sid + "/false", ""},
	{"future version, exact length", h("traceparent", "cc-"+tid+"-"+sid+"-01"), tid + "/" + sid + "/true", ""},
	{"future version, more fields", h("traceparent", "cc-"+tid+"-"+sid+"-01-what-the-future-holds"), tid + "/" + sid + "/true", ""},
	{"future version, no dash after flags", h("traceparent", "cc-"+tid+"-"+sid+"-01x"), "", ""},
	{"version ff", h("traceparent", "ff-"+tid+"-"+sid+"-01"), "", ""},
	{"version 00 too long", h("traceparent", tp00+"-extra"), "", ""},
	{"too short", h("traceparent", tp00[:54]), "", ""},
	{"uppercase trace ID", h("traceparent", "00-"+strings.ToUpper(tid)+"-"+sid+"-01"), "", ""},
	{"uppercase version", h("traceparent", "0A-"+tid+"-"+sid+"-01"), "", ""},
	{"uppercase flags", h("traceparent", "00-"+tid+"-"+sid+"-0A"), "", ""},
	{"non-hex trace ID", h("traceparent", "00-"+tid[:31]+"g-"+sid+"-01"), "", ""},
	{"non-hex version", h("traceparent", "0x-"+tid+"-"+sid+"-01"), "", ""},
	{"zero trace ID", h("traceparent", "00-"+strings.Repeat("0", 32)+"-"+sid+"-01"), "", ""},
	{"zero span ID", h("traceparent", "00-"+tid+"-"+strings.Repeat("0", 16)+"-01"), "", ""},
	{"dash misplaced", h("traceparent", "00-"+tid[:31]+"-"+tid[31:]+sid[1:]+"-01"), "", ""},
	{"underscores for dashes", h("traceparent", "00_"+tid+"_"+sid+"_01"), "", ""},
	{"leading space", h("traceparent", " "+tp00[:54]), "", ""},
	{"empty", h("traceparent", ""), "", ""},
	{"nothing", h(), "", ""},

	{"tracestate kept", h("traceparent", tp00, "tracestate", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"),
		tid + "/" + sid + "/true", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"},
	{"tracestate multi-tenant key", h("traceparent", tp00, "tracestate", "7tenant@vendor=v"), tid + "/" + sid + "/true", "7tenant@vendor=v"},
	{"tracestate white space and empty members removed", h("traceparent", tp00, "tracestate", " a=1 ,, \tb=2\t,"),
		tid + "/" + sid + "/true", "a=1,b=2"},
	{"tracestate bad key dropped", h("traceparent", tp00, "tracestate", "a=1,Bad=2"), tid + "/" + sid + "/true", ""},
	{"tracestate bad value dropped", h("traceparent", tp00, "tracestate", "a=1,b=x=y"), tid + "/" + sid + "/true", ""},
	{"tracestate no value dropped", h("traceparent", tp00, "tracestate", "a="), tid + "/" + sid + "/true", ""},
	{"tracestate duplicate key dropped", h("traceparent", tp00, "tracestate", "a=1,a=2"), tid + "/" + sid + "/true", ""},
	{"tracestate control character dropped", h("traceparent", tp00, "tracestate", "a=1\n"), tid + "/" + sid + "/true", ""},
	{"tracestate 32 members kept", h("traceparent", tp00, "tracestate", members(32)), tid + "/" + sid + "/true", members(32)},
	{"tracestate 33 members dropped", h("traceparent", tp00, "tracestate", members(33)), tid + "/" + sid + "/true", ""},
	{"tracestate over 512 bytes dropped", h("traceparent", tp00, "tracestate", "a="+strings.Repeat("x", 256)+",b="+strings.Repeat("y", 256)),
		tid + "/" + sid + "/true", ""},
	{"tracestate without traceparent ignored", h("tracestate", "a=1"), "", ""},
	{"tracestate with an invalid traceparent ignored", h("traceparent", "ff-"+tid+"-"+sid+"-01", "tracestate", "a=1"), "", ""},

	{"x headers", h("X-Trace-ID", tid, "X-Span-ID", sid), tid + "/" + sid + "/true", ""},
	{"x headers uppercase", h("X-Trace-ID", strings.ToUpper(tid), "X-Span-ID", strings.ToUpper(sid)), tid + "/" + sid + "/true", ""},
	{"x headers lowercase names", h("x-trace-id", tid, "x-span-id", sid), tid + "/" + sid + "/true", ""},
	{"x trace ID as UUID", h("X-Trace-ID", "4bf92f35-77b3-4da6-a3ce-929d0e0e4736", "X-Span-ID", sid), tid + "/" + sid + "/true", ""},
	{"x trace ID UUID misplaced dash", h("X-Trace-ID", "4bf92f3-577b3-4da6-a3ce-929d0e0e4736", "X-Span-ID", sid), "", ""},
	{"x trace ID alone", h("X-Trace-ID", tid), tid + "//true", ""}, // the Redis tracer's style: no parent span
	{"x span ID invalid", h("X-Trace-ID", tid, "X-Span-ID", "xyz"), tid + "//true", ""},
	{"x trace ID short", h("X-Trace-ID", tid[1:], "X-Span-ID", sid), "", ""},
	{"x trace ID zero", h("X-Trace-ID", strings.Repeat("0", 32), "X-Span-ID", sid), "", ""},
	{"x span ID zero", h("X-Trace-ID", tid, "X-Span-ID", strings.Repeat("0", 16)), tid + "//true", ""},
	{"x trace ID injection attempt", h("X-Trace-ID", tid+"\r\nSet-Cookie: a=b", "X-Span-ID", sid), "", ""},
	{"traceparent wins over x headers", h("traceparent", tp00, "X-Trace-ID", strings.Repeat("1", 32), "X-Span-ID", strings.Repeat("2", 16)),
		tid + "/" + sid + "/true", ""},
	{"invalid traceparent falls back to x headers", h("traceparent", "ff-"+tid+"-"+sid+"-00", "X-Trace-ID", tid, "X-Span-ID", sid),
		tid + "/" + sid + "/true", ""},
}

func h(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// members returns a tracestate of n valid members.
func members(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "k%d=1", i)
	}
	return b.String()
}

// parentOf describes the remote parent ctx holds, "" if none.
func parentOf(t *testing.T, ctx context.Context) (string, string) {
	t.Helper()
	s := jstrace.SpanFromContext(ctx)
	if s == nil {
		return "", ""
	}
	sc := s.SpanContext()
	if !sc.Remote {
		t.Errorf("extracted span is not remote")
	}
	sampled := "false"
	if sc.Sampled {
		sampled = "true"
	}
	return sc.TraceID.String() + "/" + sc.SpanID.String() + "/" + sampled, sc.TraceState
}

func TestExtract(t *testing.T) {
	for _, tc := range extractCases {
		t.Run(tc.name, func(t *testing.T) {
			// The same headers as a MapCarrier and as an http.Header.
			m := jstrace.MapCarrier(tc.headers)
			hh := http.Header{}
			for k, v := range tc.headers {
				hh.Set(k, v)
			}
			for name, c := range map[string]jstrace.Carrier{"map": m, "http": hh} {
				ctx := context.Background()
				got := jstrace.Extract(ctx, c)
				if tc.want == "" && got != ctx {
					t.Errorf("%s: context changed for an invalid carrier", name)
				}
				if p, st := parentOf(t, got); p != tc.want || st != tc.state {
					t.Errorf("%s: parent %q state %q, want %q state %q", name, p, st, tc.want, tc.state)
				}
			}
		})
	}
}

// Several traceparent headers make it invalid; several tracestate headers
// are one list.
func TestExtractRepeatedHeaders(t *testing.T) {
	hh := http.Header{"Traceparent": {tp00, tp00}}
	if got := jstrace.Extract(context.Background(), hh); jstrace.SpanFromContext(got) != nil {
		t.Error("two traceparent headers accepted")
	}
	hh = http.Header{"Traceparent": {tp00}, "Tracestate": {"a=1", "b=2"}}
	if _, st := parentOf(t, jstrace.Extract(context.Background(), hh)); st != "a=1,b=2" {
		t.Errorf("tracestate %q, want the fields joined", st)
	}
	hh = http.Header{"Traceparent": {tp00}, "Tracestate": {"a=" + strings.Repeat("x", 255), "b=" + strings.Repeat("y", 255), "c=1"}}
	if _, st := parentOf(t, jstrace.Extract(context.Background(), hh)); st != "" {
		t.Errorf("tracestate over 512 bytes in several fields kept: %d bytes", len(st))
	}
}

// The X headers carry no sampling decision: the local sampler makes it.
func TestExtractXHeadersSampler(t *testing.T) {
	setTracing(t, jstrace.TracingOptions{Sampler: jstrace.NeverSample()})
	ctx := jstrace.Extract(context.Background(), jstrace.MapCarrier{"x-trace-id": tid, "x-span-id": sid})
	if p, _ := parentOf(t, ctx); p != tid+"/"+sid+"/false" {
		t.Errorf("parent %q, want unsampled by NeverSample", p)
	}
	// traceparent's decision is honoured whatever the local sampler says.
	ctx = jstrace.Extract(context.Background(), jstrace.MapCarrier{"traceparent": tp00})
	if !jstrace.SpanFromContext(ctx).IsSampled() {
		t.Error("traceparent's sampled flag not honoured")
	}
}

// A span started under an extracted parent continues the trace: same
// trace ID, the sender's span as parent, the sampled flag and tracestate
// inherited, the request ID kept; the remote parent itself does nothing.
func TestExtractThenStartSpan(t *testing.T) {
	setTracing(t, jstrace.TracingOptions{Service: "payments", Sampler: jstrace.NeverSample()})
	spans := recordSpans(t)
	ctx := jstrace.WithRequestID(context.Background(), "rid-1")
	ctx = jstrace.Extract(ctx, jstrace.MapCarrier{"traceparent": tp00, "tracestate": "a=1"})
	remote := jstrace.SpanFromContext(ctx)
	remote.SetName("renamed")
	remote.SetError(errors.New("boom"))
	remote.End()
	_, s := jstrace.StartSpan(ctx, "charge")
	s.End()
	if jstrace.RequestID(ctx) != "rid-1" {
		t.Errorf("request ID lost: %q", jstrace.RequestID(ctx))
	}
	got := spans()
	if len(got) != 1 {
		t.Fatalf("%d spans recorded, want 1 (the child; a remote parent never ends here)", len(got))
	}
	d := got[0]
	if d.TraceID.String() != tid || d.ParentID.String() != sid || !d.RemoteParent || d.TraceState != "a=1" || d.Operation != "charge" {
		t.Errorf("child: trace %s parent %s remote %v state %q op %q", d.TraceID, d.ParentID, d.RemoteParent, d.TraceState, d.Operation)
	}
}

func TestInject(t *testing.T) {
	parent := jstrace.ContextWithRemoteParent(context.Background(), jstrace.SpanContext{
		TraceID: mustTrace(t, tid), SpanID: mustSpan(t, sid), Sampled: true, TraceState: "a=1",
	})
	ctx, s := jstrace.StartSpan(parent, "call")
	defer s.End()
	m := jstrace.MapCarrier{}
	jstrace.Inject(ctx, m)
	want := jstrace.MapCarrier{
		"traceparent":      "00-" + tid + "-" + s.SpanID().String() + "-01",
		"tracestate":       "a=1",
		"x-trace-id":       tid,
		"x-span-id":        s.SpanID().String(),
		"x-parent-span-id": sid,
	}
	if len(m) != len(want) {
		t.Errorf("injected %v, want %v", m, want)
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}

	// A root span: no parent header; unsampled: flags 00; no tracestate.
	setTracing(t, jstrace.TracingOptions{Sampler: jstrace.NeverSample()})
	ctx, root := jstrace.StartSpan(context.Background(), "root")
	hh := http.Header{}
	jstrace.Inject(ctx, hh)
	if got := hh.Get("traceparent"); got != "00-"+root.TraceID().String()+"-"+root.SpanID().String()+"-00" {
		t.Errorf("traceparent %q", got)
	}
	if _, ok := hh["X-Parent-Span-Id"]; ok || hh.Get("tracestate") != "" {
		t.Errorf("root injected a parent or a tracestate: %v", hh)
	}
	if hh.Get("X-Trace-ID") != root.TraceID().String() || hh.Get("X-Span-ID") != root.SpanID().String() {
		t.Errorf("x headers %v", hh)
	}

	// No span: nothing.
	empty := jstrace.MapCarrier{}
	jstrace.Inject(context.Background(), empty)
	jstrace.Inject(jstrace.WithRequestID(context.Background(), "r"), empty)
	if len(empty) != 0 {
		t.Errorf("injected without a span: %v", empty)
	}
	jstrace.Inject(ctx, nil) // no panic
}

// What Inject writes, Extract reads back as the same span, through both
// carriers and through the X headers alone.
func TestInjectExtractRoundTrip(t *testing.T) {
	ctx, s := jstrace.StartSpan(context.Background(), "a")
	defer s.End()
	for name, c := range map[string]jstrace.Carrier{"map": jstrace.MapCarrier{}, "http": http.Header{}} {
		jstrace.Inject(ctx, c)
		got := jstrace.SpanFromContext(jstrace.Extract(context.Background(), c)).SpanContext()
		want := s.SpanContext()
		want.Remote = true
		if got != want {
			t.Errorf("%s: extracted %+v, want %+v", name, got, want)
		}
	}
	m := jstrace.MapCarrier{}
	jstrace.Inject(ctx, m)
	delete(m, "traceparent")
	got := jstrace.SpanFromContext(jstrace.Extract(context.Background(), m))
	if got.TraceID() != s.TraceID() || got.SpanID() != s.SpanID() {
		t.Errorf("x headers alone: %s/%s, want %s/%s", got.TraceID(), got.SpanID(), s.TraceID(), s.SpanID())
	}
}

func TestContextWithRemoteParent(t *testing.T) {
	ctx := context.Background()
	for _, sc := range []jstrace.SpanContext{
		{},
		{TraceID: mustTrace(t, tid)},
		{SpanID: mustSpan(t, sid)},
	} {
		if got := jstrace.ContextWithRemoteParent(ctx, sc); got != ctx {
			t.Errorf("%+v: context changed for an invalid span context", sc)
		}
	}
	sc := jstrace.SpanContext{TraceID: mustTrace(t, tid), SpanID: mustSpan(t, sid), TraceState: "Bad Key=1"}
	got := jstrace.SpanFromContext(jstrace.ContextWithRemoteParent(ctx, sc)).SpanContext()
	if got.TraceState != "" || !got.Remote || got.Sampled || got.TraceID != sc.TraceID {
		t.Errorf("got %+v", got)
	}
	if got := jstrace.SpanFromContext(jstrace.ContextWithRemoteParent(nil, sc)); got == nil {
		t.Error("nil context: no parent")
	}
}

func mustTrace(t *testing.T, s string) jstrace.TraceID {
	t.Helper()
	id, err := jstrace.ParseTraceID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustSpan(t *testing.T, s string) jstrace.SpanID {
	t.Helper()
	id, err := jstrace.ParseSpanID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
