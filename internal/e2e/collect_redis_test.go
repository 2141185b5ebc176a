package e2e

import (
	"context"
	"net/http"
	"testing"

	"github.com/jstrace-go/jstrace/internal/redistest"
	"github.com/jstrace-go/jstrace/internal/tracestore"
)

// Two jstrace collect processes attached to the same three services
// write every span twice, at the same time, into one Redis store; a third
// collects alone into a file. Redis then holds each trace exactly as the
// file does: the same spans, each once, none lost, and summaries that
// count them once; and the reading commands print the same from both.
func TestTwoCollectorsOneRedis(t *testing.T) {
	t.Parallel()
	redis := redistest.Start(t).URL
	file := collectStore(t)
	shopTurn(t)
	e := newEnv(t)
	s := e.startShop([]string{"-slow", "0", "-fail", "0.3"})
	var runs []*running
	for _, store := range []string{redis, redis, file} {
		runs = append(runs, e.jstraceStart("collect", "-t", shopTitles, "--store", store, "--report-every", "200ms"))
	}
	for _, p := range s.procs() {
		e.waitSessions(p.pid, len(runs))
	}
	// At least checkouts, and on until one has failed, so that "errors"
	// has a trace to print: a payment fails with probability 0.3, and ten
	// in a row succeed 2.8 % of the time (60 in a row, 5e-10).
	const checkouts = 10
	var traces []string
	failed := false
	for len(traces) < checkouts || !failed && len(traces) < 60 {
		resp, rc := s.checkout(t)
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusBadGateway {
			t.Fatalf("checkout: %d %+v", resp.StatusCode, rc)
		}
		failed = failed || resp.StatusCode == http.StatusBadGateway
		trace := resp.Header.Get("X-Trace-ID")
		traces = append(traces, trace)
		// Every collector has the hops before they stop: span:end events
		// reach them within their agents' flush interval.
		for _, store := range []string{redis, file} {
			storedSpans(t, store, trace, rc.Hops[0].SpanID, rc.Hops[1].SpanID, rc.Hops[2].SpanID)
		}
	}
	for _, r := range runs {
		stopCollect(t, r, 0)
	}

	ctx := context.Background()
	open := func(where string) tracestore.Store {
		st, err := tracestore.Open(ctx, where, tracestore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	rs, fs := open(redis), open(file)
	sums := map[string]tracestore.Summary{}
	list, err := rs.Recent(ctx, tracestore.Query{Limit: len(traces)})
	if err != nil {
		t.Fatal(err)
	}
	for _, sum := range list {
		sums[sum.TraceID] = sum
	}
	for _, trace := range traces {
		want, err := fs.Trace(ctx, trace)
		if err != nil {
			t.Fatal(err)
		}
		got, err := rs.Trace(ctx, trace)
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]int{}
		for _, sp := range got {
			ids[sp.SpanID]++
		}
		for _, sp := range want {
			if ids[sp.SpanID] != 1 {
				t.Errorf("trace %s: span %s (%s %s) stored %d times in Redis", trace, sp.SpanID, sp.Service, sp.Operation, ids[sp.SpanID])
			}
		}
		if len(got) != len(want) || sums[trace].Spans != len(want) {
			t.Errorf("trace %s: Redis holds %d spans, its summary counts %d; the file, from one collector, %d", trace, len(got), sums[trace].Spans, len(want))
		}
	}

	for _, args := range [][]string{{"trace", traces[0]}, {"slow", "--json"}, {"errors", "--json"}, {"recent"}} {
		fromFile := e.jstrace(append(args, "--store", file)...)
		fromRedis := e.jstrace(append(args, "--store", redis)...)
		if fromFile.code != 0 || fromRedis.code != 0 || fromFile.stdout != fromRedis.stdout || fromFile.stdout == "" {
			t.Errorf("jstrace %v: from the file (exit %d):\n%s%s\nfrom Redis (exit %d):\n%s%s", args,
				fromFile.code, fromFile.stdout, fromFile.stderr, fromRedis.code, fromRedis.stdout, fromRedis.stderr)
		}
	}
}
