package e2e

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/tracestore"
)

// collectStore returns a store file in the test's directory, or skips the
// test while the embedded store is not built (its branch not merged yet).
func collectStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "traces.db")
	st, err := tracestore.Open(context.Background(), path, tracestore.Options{})
	if err != nil {
		if strings.Contains(err.Error(), "not built yet") {
			t.Skipf("the embedded store is not built on this branch (%v): this test runs once it is merged", err)
		}
		t.Fatal(err)
	}
	st.Close()
	return path
}

var receivingLine = regexp.MustCompile(`receiving spans at (http://\S+)/v1/spans`)

// collectListen starts jstrace collect --listen on a free port and returns
// it with the receiver's base URL.
func (e *env) collectListen(store string, args ...string) (*running, string) {
	e.t.Helper()
	run := e.jstraceStart(append([]string{"collect", "--listen", "127.0.0.1:0", "--store", store, "--report-every", "200ms"}, args...)...)
	for deadline := time.Now().Add(startTimeout); ; time.Sleep(20 * time.Millisecond) {
		if m := receivingLine.FindStringSubmatch(run.stderr.String()); m != nil {
			return run, m[1]
		}
		if run.cmd.ProcessState != nil || time.Now().After(deadline) {
			e.t.Fatalf("jstrace collect did not say where it listens\nstderr:\n%s", run.stderr)
		}
	}
}

// storedSpans waits until the store holds a span of every ID in ids for
// trace, and returns the trace's spans by ID.
func storedSpans(t *testing.T, store, trace string, ids ...string) map[string]tracestore.Span {
	t.Helper()
	st, err := tracestore.Open(context.Background(), store, tracestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		spans, err := st.Trace(context.Background(), trace)
		if err != nil && !errors.Is(err, tracestore.ErrNotFound) {
			t.Fatal(err)
		}
		got := map[string]tracestore.Span{}
		for _, s := range spans {
			got[s.SpanID] = s
		}
		all := true
		for _, id := range ids {
			_, ok := got[id]
			all = all && ok
		}
		if all {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("trace %s: the store has %d spans, not all of %v: %+v", trace, len(spans), ids, spans)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stopCollect ends jstrace collect as Ctrl-C does and checks it flushed
// and reported.
func stopCollect(t *testing.T, run *running, wantCode int) result {
	t.Helper()
	run.signal(syscall.SIGINT)
	r := run.wait(t, 30*time.Second)
	if r.code != wantCode || !strings.Contains(r.stderr, "collected in ") {
		t.Errorf("jstrace collect: exit %d (want %d)\nstderr:\n%s", r.code, wantCode, r.stderr)
	}
	return r
}

// The three shop services export their spans with the collector exporter
// to jstrace collect --listen: every hop of a checkout, payments' failed
// charge with its error, is in the store, and the report says so.
func TestCollectListen(t *testing.T) {
	t.Parallel()
	store := collectStore(t)
	shopTurn(t)
	e := newEnv(t)
	run, url := e.collectListen(store)
	s := e.startShop([]string{"-slow", "0", "-fail", "1"}, "JSTRACE_EXPORTERS=collector", "JSTRACE_COLLECTOR_ENDPOINT="+url)
	resp, rc := s.checkout(t)
	if resp.StatusCode != http.StatusBadGateway || len(rc.Hops) != 3 {
		t.Fatalf("checkout: %d %+v", resp.StatusCode, rc)
	}
	trace := resp.Header.Get("X-Trace-ID")
	got := storedSpans(t, store, trace, rc.Hops[0].SpanID, rc.Hops[1].SpanID, rc.Hops[2].SpanID)
	for i, want := range []string{"gateway", "orders", "payments"} {
		if sp := got[rc.Hops[i].SpanID]; sp.Service != want || sp.TraceID != trace {
			t.Errorf("hop %d: stored %+v, want a span of %s", i, sp, want)
		}
	}
	var charge *tracestore.Span
	for _, sp := range got {
		if sp.Operation == "charge card" {
			charge = &sp
		}
	}
	if charge == nil || charge.Error != "bank unavailable" || charge.ParentID != rc.Hops[2].SpanID || charge.Host == "" {
		t.Errorf("charge card span %+v, want the error under payments' request span", charge)
	}
	time.Sleep(300 * time.Millisecond) // one report
	r := stopCollect(t, run, 0)
	if !regexp.MustCompile(`last 200ms: stored [1-9]\d* spans`).MatchString(r.stderr) {
		t.Errorf("no periodic report of the spans stored:\n%s", r.stderr)
	}
}

// jstrace collect -p attaches to one agent and stores its span:end: the
// payments service's spans of a checkout; when it exits, collect ends
// (a pid cannot come back) after storing what it had.
func TestCollectAgentByPID(t *testing.T) {
	t.Parallel()
	store := collectStore(t)
	shopTurn(t)
	e := newEnv(t)
	s := e.startShop([]string{"-slow", "0", "-fail", "0"})
	run := e.jstraceStart("collect", "-p", strconv.Itoa(s.payments.pid), "--store", store, "--report-every", "200ms")
	e.waitSessions(s.payments.pid, 1)
	resp, rc := s.checkout(t)
	if resp.StatusCode != http.StatusOK || len(rc.Hops) != 3 {
		t.Fatalf("checkout: %d %+v", resp.StatusCode, rc)
	}
	trace := resp.Header.Get("X-Trace-ID")
	got := storedSpans(t, store, trace, rc.Hops[2].SpanID)
	hop := got[rc.Hops[2].SpanID]
	if hop.Service != "payments" || hop.ParentID == "" || hop.TraceID != trace || hop.Duration <= 0 || hop.Start.IsZero() {
		t.Errorf("payments' request span %+v", hop)
	}
	for _, sp := range got {
		if sp.Service != "payments" {
			t.Errorf("span of %s stored from an agent not selected: %+v", sp.Service, sp)
		}
	}
	// The span ended after it started, by its duration: start + duration
	// is the span:end event's time, which is before now.
	if end := hop.Start.Add(hop.Duration); end.After(time.Now()) {
		t.Errorf("span ends at %v, in the future", end)
	}
	s.payments.kill()
	r := run.wait(t, 30*time.Second)
	if r.code != 6 || !strings.Contains(r.stderr, "collected in ") || !strings.Contains(r.stderr, "no agent left") {
		t.Errorf("after the process exited: exit %d, want 6 (ExitLost)\nstderr:\n%s", r.code, r.stderr)
	}
}

// Agents that start after jstrace collect, and one that stops and starts
// again, are collected from: the session survives them.
func TestCollectAgentsComeAndGo(t *testing.T) {
	t.Parallel()
	store := collectStore(t)
	shopTurn(t)
	e := newEnv(t)
	run := e.jstraceStart("collect", "-t", shopTitles, "--store", store, "--report-every", "200ms")
	s := e.startShop([]string{"-slow", "0", "-fail", "0"})
	for _, p := range s.procs() {
		e.waitSessions(p.pid, 1)
	}
	resp, rc := s.checkout(t)
	storedSpans(t, store, resp.Header.Get("X-Trace-ID"), rc.Hops[0].SpanID, rc.Hops[1].SpanID, rc.Hops[2].SpanID)

	s.payments.kill()
	s.payments = e.startShopProc("payments", []string{"-slow", "0", "-fail", "0", "-addr", strings.TrimPrefix(s.payments.http, "http://")})
	e.waitSessions(s.payments.pid, 1)
	resp, rc = s.checkout(t)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("checkout after payments restarted: %d %+v", resp.StatusCode, rc)
	}
	storedSpans(t, store, resp.Header.Get("X-Trace-ID"), rc.Hops[0].SpanID, rc.Hops[1].SpanID, rc.Hops[2].SpanID)
	r := stopCollect(t, run, 0)
	if !strings.Contains(r.stderr, "agent gone") {
		t.Errorf("payments' exit not reported:\n%s", r.stderr)
	}
}
