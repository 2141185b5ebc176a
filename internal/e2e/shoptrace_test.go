package e2e

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// spanEnds is a Local script printing every span:end of every attached
// process as a JSON line.
const spanEnds = `package main

import (
	"encoding/json"
	"fmt"

	"github.com/jstrace-go/jstrace/script"
)

func Local(traces *script.Traces) {
	traces.On("span:end", func(t *script.Trace) {
		b, _ := json.Marshal(map[string]any{
			"trace": t.Str("trace_id"), "span": t.Str("span_id"), "parent": t.Str("parent_id"),
			"service": t.Str("service"), "op": t.Str("operation"), "error": t.Str("error"),
			"title": t.Title,
		})
		fmt.Println("span " + string(b))
	})
}
`

// spanEnd is one line of spanEnds.
type spanEnd struct {
	Trace, Span, Parent, Service, Op, Error, Title string
}

// spansOf returns the spans of trace in out, the output of spanEnds.
func spansOf(out, trace string) []spanEnd {
	var spans []spanEnd
	for _, line := range strings.Split(out, "\n") {
		var s spanEnd
		if j, ok := strings.CutPrefix(line, "span "); ok && json.Unmarshal([]byte(j), &s) == nil && s.Trace == trace {
			spans = append(spans, s)
		}
	}
	return spans
}

// waitSpans waits until the session has printed the spans of every span ID
// in ids (the services' request spans) for trace, then returns all of
// that trace's spans.
func waitSpans(t *testing.T, r *running, trace string, ids ...string) []spanEnd {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		spans := spansOf(r.stdout.String(), trace)
		seen := map[string]bool{}
		for _, s := range spans {
			seen[s.Span] = true
		}
		all := true
		for _, id := range ids {
			all = all && seen[id]
		}
		if all {
			time.Sleep(200 * time.Millisecond) // let stragglers of the other processes in
			return spansOf(r.stdout.String(), trace)
		}
		if time.Now().After(deadline) {
			t.Fatalf("trace %s: no span:end for all of %v\nstdout:\n%s\nstderr:\n%s", trace, ids, r.stdout, r.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// seen reports whether out, the output of spanEnds, has a span of one of
// traces.
func seen(out string, traces []string) bool {
	for _, trace := range traces {
		if trace != "" && strings.Contains(out, `"trace":"`+trace+`"`) {
			return true
		}
	}
	return false
}

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

// shopCase is a checkout sent with headers, and what must become of it.
type shopCase struct {
	name    string
	headers []string // name, value, ...
	trace   string   // the trace ID expected; "" for a fresh one
	parent  string   // the gateway's span's parent
	sampled bool
	echo    string // a value no response header may carry
}

// W3C Trace Context's example IDs, and a trace ID with non-hex digits.
const (
	tid    = "4bf92f3577b34da6a3ce929d0e0e4736"
	sid    = "00f067aa0ba902b7"
	badTID = "4bf92f3577b34da6a3ce929d0e0e47zz"
)

// Propagation across three real processes, seen by the real CLI attached
// to all three: whatever the caller sends — nothing, a W3C traceparent
// (sampled or not), the X-Trace-ID/X-Span-ID pair, or garbage — every span
// of a checkout shares one trace ID, which the response carries; parent
// links run gateway → orders → payments, each business span under its
// service's request span; the sampled flag holds on every hop and decides
// what the console exporter prints; a malformed header starts a fresh
// trace and is never echoed.
func TestShopPropagation(t *testing.T) {
	t.Parallel()
	shopTurn(t)
	e := newEnv(t)
	s := e.startShop([]string{"-slow", "0", "-fail", "0"}, "JSTRACE_EXPORTERS=console")
	run := s.attachSpans(e)
	s.checkCases(t, run, []shopCase{
		{name: "no headers", sampled: true},
		{name: "traceparent sampled", headers: []string{"traceparent", "00-" + tid + "-" + sid + "-01"}, trace: tid, parent: sid, sampled: true},
		{name: "traceparent unsampled", headers: []string{"traceparent", "00-" + tid[:31] + "7-" + sid + "-00"}, trace: tid[:31] + "7", parent: sid},
		{name: "traceparent and tracestate", headers: []string{"traceparent", "00-" + tid[:31] + "8-" + sid + "-01", "tracestate", "vendor=opaque"}, trace: tid[:31] + "8", parent: sid, sampled: true},
		// The pair says nothing of sampling: the gateway's sampler
		// decides (always, by default).
		{name: "X-Trace-ID and X-Span-ID", headers: []string{"X-Trace-ID", tid[:31] + "9", "X-Span-ID", sid}, trace: tid[:31] + "9", parent: sid, sampled: true},
		{name: "X-Trace-ID uppercase", headers: []string{"X-Trace-ID", strings.ToUpper(tid[:31] + "c"), "X-Span-ID", strings.ToUpper(sid)}, trace: tid[:31] + "c", parent: sid, sampled: true},
		// Alone (or with a bad X-Span-ID), it names the trace but no
		// parent span.
		{name: "X-Trace-ID alone", headers: []string{"X-Trace-ID", tid[:31] + "f"}, trace: tid[:31] + "f", sampled: true},
		{name: "X-Trace-ID with a bad X-Span-ID", headers: []string{"X-Trace-ID", tid[:30] + "f0", "X-Span-ID", "00f067aa0ba902zz"}, trace: tid[:30] + "f0", sampled: true, echo: "00f067aa0ba902zz"},
		{name: "X-Trace-ID UUID", headers: []string{"X-Trace-ID", "4bf92f35-77b3-4da6-a3ce-929d0e0e473d", "X-Span-ID", sid}, trace: tid[:31] + "d", parent: sid, sampled: true},
		{name: "traceparent non-hex", headers: []string{"traceparent", "00-" + badTID + "-" + sid + "-01"}, sampled: true, echo: badTID},
		{name: "traceparent uppercase", headers: []string{"traceparent", "00-" + strings.ToUpper(tid[:31]+"e") + "-" + sid + "-01"}, sampled: true, echo: strings.ToUpper(tid[:31] + "e")},
		{name: "traceparent short", headers: []string{"traceparent", "00-" + tid[:30] + "-" + sid + "-01"}, sampled: true, echo: tid[:30]},
		{name: "traceparent zero trace", headers: []string{"traceparent", "00-" + strings.Repeat("0", 32) + "-" + sid + "-01"}, sampled: true, echo: sid},
		{name: "traceparent zero span", headers: []string{"traceparent", "00-" + tid[:31] + "a-" + strings.Repeat("0", 16) + "-01"}, sampled: true, echo: tid[:31] + "a"},
		{name: "traceparent version ff", headers: []string{"traceparent", "ff-" + tid[:31] + "b-" + sid + "-01"}, sampled: true, echo: tid[:31] + "b"},
		{name: "X-Trace-ID non-hex", headers: []string{"X-Trace-ID", badTID, "X-Span-ID", sid}, sampled: true, echo: badTID},
		{name: "X-Trace-ID oversized", headers: []string{"X-Trace-ID", strings.Repeat(tid, 40), "X-Span-ID", sid}, sampled: true, echo: tid + tid},
	})
}

// Sampling is decided where a trace starts and followed downstream: with
// JSTRACE_SAMPLER=never everywhere, a checkout's trace is unsampled on
// every hop and no console exporter prints it, though the CLI still sees
// its spans (dynamic tracing does not depend on sampling); a caller's
// sampled traceparent is exported by all three.
func TestShopSamplerNever(t *testing.T) {
	t.Parallel()
	shopTurn(t)
	e := newEnv(t)
	s := e.startShop([]string{"-slow", "0", "-fail", "0"}, "JSTRACE_EXPORTERS=console", "JSTRACE_SAMPLER=never")
	run := s.attachSpans(e)
	s.checkCases(t, run, []shopCase{
		{name: "no headers"},
		{name: "X-Trace-ID and X-Span-ID", headers: []string{"X-Trace-ID", tid, "X-Span-ID", sid}, trace: tid, parent: sid},
		{name: "traceparent sampled", headers: []string{"traceparent", "00-" + tid[:31] + "7-" + sid + "-01"}, trace: tid[:31] + "7", parent: sid, sampled: true},
	})
}

// attachSpans runs spanEnds on the three services and returns once it
// sees them.
func (s *shop) attachSpans(e *env) *running {
	e.t.Helper()
	run := e.jstraceStart("-t", shopTitles, e.script("spans.go", spanEnds))
	for _, p := range s.procs() {
		e.waitSessions(p.pid, 1)
	}
	// The session subscribes as it attaches: once the spans of a checkout
	// sent since arrive, it sees every process.
	var warm []string
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, _ := s.checkout(e.t)
		warm = append(warm, resp.Header.Get("X-Trace-ID"))
		if seen(run.stdout.String(), warm) {
			return run
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("the session never saw a span of %d checkouts\nstdout:\n%s\nstderr:\n%s", len(warm), run.stdout, run.stderr)
		}
	}
}

// checkCases sends each case's checkout and checks it, as a subtest; the
// last case should be sampled, so that the console exporters have printed
// what they would of the earlier ones by the end.
func (s *shop) checkCases(t *testing.T, run *running, cases []shopCase) {
	var unsampled []string
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			if trace, sampled := s.check(t, run, tt); !sampled {
				unsampled = append(unsampled, trace)
			}
		})
	}
	for _, trace := range unsampled {
		for _, p := range s.procs() {
			if strings.Contains(p.log.String(), trace) {
				t.Errorf("%s's console exporter printed the unsampled trace %s:\n%s", p.role, trace, p.log)
			}
		}
	}
}

// check sends tt's checkout and checks its response and spans.
func (s *shop) check(t *testing.T, run *running, tt shopCase) (trace string, sampled bool) {
	t.Helper()
	resp, rc := s.checkout(t, tt.headers...)
	if resp.StatusCode != http.StatusOK || rc.Status != "paid" || len(rc.Hops) != 3 {
		t.Fatalf("checkout: %d %+v", resp.StatusCode, rc)
	}
	trace = resp.Header.Get("X-Trace-ID")
	if !hex32.MatchString(trace) || tt.trace != "" && trace != tt.trace {
		t.Fatalf("X-Trace-ID %q, want %q", trace, tt.trace)
	}
	if tt.trace == "" && strings.Contains(strings.ToLower(strings.Join(tt.headers, " ")), trace) {
		t.Fatalf("trace %s continues a malformed header %q", trace, tt.headers)
	}
	if tt.echo != "" {
		for k, v := range resp.Header {
			if strings.Contains(strings.Join(v, " "), tt.echo) {
				t.Errorf("response header %s: %q echoes the malformed %q", k, v, tt.echo)
			}
		}
	}
	for i, want := range []string{"gateway", "orders", "payments"} {
		h := rc.Hops[i]
		if h.Service != want || h.TraceID != trace || h.SpanID == "" {
			t.Errorf("hop %d: %+v, want service %s in trace %s", i, h, want, trace)
		}
		if h.Sampled != tt.sampled {
			t.Errorf("hop %s: sampled %v, want %v", want, h.Sampled, tt.sampled)
		}
	}
	if rc.Hops[0].Parent != tt.parent {
		t.Errorf("the gateway's span has parent %q, want %q", rc.Hops[0].Parent, tt.parent)
	}
	spans := waitSpans(t, run, trace, rc.Hops[0].SpanID, rc.Hops[1].SpanID, rc.Hops[2].SpanID)
	checkShopTree(t, spans, tt.parent, rc.Hops[0].SpanID, rc.Hops[1].SpanID, rc.Hops[2].SpanID)
	checkConsole(t, s, trace, tt.sampled)
	return trace, tt.sampled
}

// checkShopTree checks that spans, the span:end of one trace from every
// service, form one tree: rooted at the gateway's request span (whose
// parent is parent, the caller's), its parent links leading from
// payments' request span through orders' to the gateway's, each business
// span under its own service's request span.
func checkShopTree(t *testing.T, spans []spanEnd, parent, gateway, orders, payments string) {
	t.Helper()
	byID := map[string]spanEnd{}
	for _, s := range spans {
		if _, dup := byID[s.Span]; dup {
			t.Errorf("span %s ended twice", s.Span)
		}
		byID[s.Span] = s
		if s.Service != s.Title {
			t.Errorf("span %s %q: service %q in the process titled %q", s.Span, s.Op, s.Service, s.Title)
		}
		if s.Error != "" {
			t.Errorf("span %s %q failed: %s", s.Span, s.Op, s.Error)
		}
	}
	for _, s := range spans {
		if _, ok := byID[s.Parent]; !ok && s.Span != gateway {
			t.Errorf("span %s %q of %s: parent %q is no span of the trace", s.Span, s.Op, s.Service, s.Parent)
		}
	}
	if g := byID[gateway]; g.Parent != parent {
		t.Errorf("the gateway's request span has parent %q, want %q", g.Parent, parent)
	}
	// From payments' request span up: payments, orders, gateway.
	var path []string
	for id, n := payments, 0; id != parent && n <= len(spans); n++ {
		s, ok := byID[id]
		if !ok {
			break
		}
		if len(path) == 0 || path[len(path)-1] != s.Service {
			path = append(path, s.Service)
		}
		if id == orders && s.Service != "orders" {
			t.Errorf("orders' request span %s is of %s", id, s.Service)
		}
		id = s.Parent
	}
	if got := strings.Join(path, " → "); got != "payments → orders → gateway" {
		t.Errorf("parent links from payments' span: %s, want payments → orders → gateway\n%s", got, dumpSpans(spans))
	}
	for op, under := range map[string]string{"validate cart": gateway, "reserve stock": orders, "charge card": payments} {
		n := 0
		for _, s := range spans {
			if s.Op == op {
				n++
				if s.Parent != under {
					t.Errorf("%q has parent %s, want its service's request span %s\n%s", op, s.Parent, under, dumpSpans(spans))
				}
			}
		}
		if n != 1 {
			t.Errorf("%d spans %q, want 1\n%s", n, op, dumpSpans(spans))
		}
	}
}

func dumpSpans(spans []spanEnd) string {
	var b strings.Builder
	for _, s := range spans {
		b.WriteString("  " + s.Service + " " + s.Span + " ← " + s.Parent + " " + s.Op + "\n")
	}
	return b.String()
}

// checkConsole checks that every service's console exporter (on its
// stderr) printed the trace if it is sampled, and none did if not.
func checkConsole(t *testing.T, s *shop, trace string, sampled bool) {
	t.Helper()
	for _, p := range s.procs() {
		if !sampled {
			// Checked again at the end of TestShopPropagation, once
			// sampled traces sent later have been printed.
			if strings.Contains(p.log.String(), trace) {
				t.Errorf("%s's console exporter printed the unsampled trace %s:\n%s", p.role, trace, p.log)
			}
			continue
		}
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(p.log.String(), trace) {
			if time.Now().After(deadline) {
				t.Errorf("%s's console exporter did not print the sampled trace %s:\n%s", p.role, trace, p.log)
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}
