package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/jstrace-go/jstrace/internal/tracestore"
)

// summaries is a listing as a store returns it: a failing trace, a slow
// one without its root yet, and one with hostile names.
func summaries() []tracestore.Summary {
	return []tracestore.Summary{
		{TraceID: checkoutID, Service: "gateway", Operation: "POST /checkout", Start: st0, Duration: 900 * time.Millisecond,
			Spans: 7, Errors: 2, Error: "card declined", Services: []string{"gateway", "orders", "payments"}, Root: true},
		{TraceID: "00f067aa0ba902b700f067aa0ba902b7", Service: "orders", Operation: "create order", Start: st0.Add(1500 * time.Millisecond),
			Duration: 12*time.Second + 345*time.Millisecond, Spans: 3, Services: []string{"orders", "payments"}},
		{TraceID: "0af7651916cd43dd8448eb211c80319c", Service: "evil\x1b]0;pwned\x07\tsvc", Operation: "op\nnext\u202e", Start: st0.Add(time.Hour),
			Duration: 4 * time.Microsecond, Spans: 1, Errors: 1, Error: strings.Repeat("long error ", 20), Services: []string{"evil\x1b]0;pwned\x07\tsvc"}, Root: true},
	}
}

// necks are the bottlenecks of summaries: the first's, and none for the
// others (gone from the store).
func necks() []*neck {
	return []*neck{{SpanID: "00000000000000c1", Service: "payments", Operation: "charge", SelfMS: 812, self: 812 * time.Millisecond}, nil, nil}
}

func TestListTable(t *testing.T) {
	out := &output{}
	got := table(out, summaries(), necks(), time.UTC)
	want := `TRACE ID                          START                DURATION  SPANS  SERVICES                     ROOT                                           BOTTLENECK                 ERROR
4bf92f3577b34da6a3ce929d0e0e4736  2026-11-30 12:00:00  900.00ms  7      gateway, orders, payments    gateway: POST /checkout                        payments: charge 812.00ms  card declined (+1)
00f067aa0ba902b700f067aa0ba902b7  2026-11-30 12:00:01  12.345s   3      orders, payments             orders: create order (no root yet)             -                          -
0af7651916cd43dd8448eb211c80319c  2026-11-30 13:00:00  4.0µs     1      evil\x1b]0;pwned\x07\x09svc  evil\x1b]0;pwned\x07\x09svc: op\x0anext\u202e  -                          long error long error long error long error long error long error long error lo…
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	// Aligned: every column starts where its header does.
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	for _, col := range []string{"START", "DURATION", "SPANS", "SERVICES", "ROOT", "BOTTLENECK", "ERROR"} {
		at := strings.Index(lines[0], col)
		for _, l := range lines[1:] {
			if r := []rune(l); len(r) <= at || r[at-1] != ' ' || r[at] == ' ' {
				t.Errorf("column %s not at %d in %q", col, at, l)
			}
		}
	}
	if ids := strings.Fields(lines[1])[0]; ids != checkoutID {
		t.Errorf("the trace ID is not first: %q", lines[1])
	}
	if strings.ContainsAny(got, "\x1b\x07\u202e") {
		t.Errorf("control characters in the table: %q", got)
	}
	// Start times are in the location asked.
	if got := table(out, summaries()[:1], necks(), time.FixedZone("X", 3600)); !strings.Contains(got, "2026-11-30 13:00:00") {
		t.Errorf("start not in the zone: %s", got)
	}
}

func TestListJSON(t *testing.T) {
	got := jsonLines(summaries(), necks())
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), got)
	}
	if strings.ContainsAny(got, "\x1b\x07\u202e\t") {
		t.Errorf("control characters in JSON: %q", got)
	}
	for i, line := range lines {
		var l listed
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, line)
		}
		s := summaries()[i]
		want := listed{TraceID: s.TraceID, Service: s.Service, Operation: s.Operation, DurationMS: float64(s.Duration) / 1e6,
			Start: s.Start.Format(time.RFC3339Nano), Spans: s.Spans, Services: s.Services, Errors: s.Errors, Error: s.Error, Root: s.Root}
		if n := necks()[i]; n != nil {
			want.Bottleneck = &neck{SpanID: n.SpanID, Service: n.Service, Operation: n.Operation, SelfMS: n.SelfMS}
		}
		if !reflect.DeepEqual(l, want) {
			t.Errorf("line %d:\ngot  %+v\nwant %+v", i, l, want)
		}
	}
	for _, key := range []string{`"trace_id":`, `"service":`, `"operation":`, `"duration_ms":900,`, `"start":"2026-11-30T12:00:00Z"`, `"spans":7`, `"services":[`, `"error":"card declined"`, `"bottleneck":{"span_id":"00000000000000c1","service":"payments","operation":"charge","self_ms":812}`} {
		if !strings.Contains(lines[0], key) {
			t.Errorf("%s lacks %s", lines[0], key)
		}
	}
	if got := jsonLines([]tracestore.Summary{{TraceID: "x"}}, []*neck{nil}); !strings.Contains(got, `"services":[]`) || !strings.Contains(got, `"error":""`) || !strings.Contains(got, `"bottleneck":null`) {
		t.Errorf("empty fields: %s", got)
	}
}

func TestJSONSafe(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"a":"plain"}`, `{"a":"plain"}`},
		{"{\"a\":\"\u007f\u0085x\u202ey\u2069\"}", `{"a":"\u007f\u0085x\u202ey\u2069"}`},
		{"\u200f", `\u200f`},
		{"é中", "é中"},
	} {
		got := jsonSafe(tt.in)
		if got != tt.want {
			t.Errorf("jsonSafe(%q) = %q, want %q", tt.in, got, tt.want)
		}
		var a, b any
		if json.Unmarshal([]byte(tt.in), &a) == nil && (json.Unmarshal([]byte(got), &b) != nil || !reflect.DeepEqual(a, b)) {
			t.Errorf("jsonSafe(%q) = %q means something else", tt.in, got)
		}
	}
}

func TestListFlags(t *testing.T) {
	for _, tt := range []struct {
		name string
		cmd  func(*output, func(context.Context, *ListOptions) error) *cobra.Command
		args []string
		env  string
		want ListOptions
	}{
		{"slow, none", NewCmdSlow, nil, "", ListOptions{kind: listSlow}},
		{"slow, all", NewCmdSlow, []string{"--store", "redis://h:1/2", "--service", "s", "--operation", "o", "--since", "1h", "--limit", "5", "--json"}, "",
			ListOptions{StoreOptions: StoreOptions{Store: "redis://h:1/2"}, Service: "s", Operation: "o", Since: "1h", Limit: 5, JSON: true, kind: listSlow}},
		{"errors, day", NewCmdErrors, []string{"--day", "2026-11-30"}, "", ListOptions{Day: "2026-11-30", kind: listErrors}},
		{"recent, the store from the environment", NewCmdRecent, nil, "/var/traces.db", ListOptions{StoreOptions: StoreOptions{Store: "/var/traces.db"}, kind: listRecent}},
		{"the flag over the environment", NewCmdRecent, []string{"--store", "a.db"}, "/var/traces.db", ListOptions{StoreOptions: StoreOptions{Store: "a.db"}, kind: listRecent}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvStore, tt.env)
			got, code := parse(t, tt.cmd, tt.args...)
			if code != ExitOK || got == nil {
				t.Fatalf("exit %d", code)
			}
			got.IO = nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
	for _, args := range [][]string{{"--day", "x"}, {"extra"}, {"--limit", "x"}} {
		if _, code := parse(t, NewCmdSlow, args...); code != ExitUsage {
			t.Errorf("slow %q: exit %d, want %d", args, code, ExitUsage)
		}
	}
	got, code := parse(t, NewCmdShow, "--store", "x.db", checkoutID)
	if code != ExitOK || got.TraceID != checkoutID || got.Store != "x.db" {
		t.Errorf("trace: exit %d, %+v", code, got)
	}
	if _, code := parse(t, NewCmdShow); code != ExitUsage {
		t.Errorf("trace without an ID: exit %d", code)
	}
}

func TestListQuery(t *testing.T) {
	now := time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name string
		opts ListOptions
		want string // the store's query, or the error
		code int
	}{
		{"defaults", ListOptions{kind: listSlow}, `slow service="" operation="" since=0001-01-01T00:00:00Z day="" limit=0`, ExitOK},
		{"since a duration", ListOptions{kind: listSlow, Service: "payments", Since: "90m", Limit: 100}, `slow service="payments" operation="" since=2026-11-30T13:30:00Z day="" limit=100`, ExitOK},
		{"since a time", ListOptions{kind: listRecent, Operation: "charge", Since: "2026-11-30T14:00:00+01:00"}, `recent service="" operation="charge" since=2026-11-30T13:00:00Z day="" limit=0`, ExitOK},
		{"since a day", ListOptions{kind: listRecent, Since: "2026-11-29"}, `recent service="" operation="" since=2026-11-29T00:00:00Z day="" limit=0`, ExitOK},
		{"errors of a day", ListOptions{kind: listErrors, Day: "2026-11-29"}, `errors service="" operation="" since=0001-01-01T00:00:00Z day="2026-11-29" limit=0`, ExitOK},
		{"bad since", ListOptions{kind: listSlow, Since: "yesterday"}, `--since "yesterday": want a duration`, ExitUsage},
		{"negative since", ListOptions{kind: listSlow, Since: "-1h"}, `not negative`, ExitUsage},
		{"bad day", ListOptions{kind: listErrors, Day: "30/11/2026"}, `--day "30/11/2026": want YYYY-MM-DD`, ExitUsage},
		{"limit too big", ListOptions{kind: listSlow, Limit: 101}, `--limit 101: want 1 to 100`, ExitUsage},
		{"limit negative", ListOptions{kind: listSlow, Limit: -1}, `--limit -1`, ExitUsage},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := newFakeStore()
			store.list = summaries()
			var stdout, stderr bytes.Buffer
			var where string
			o := tt.opts
			o.IO, o.now, o.loc, o.open = &output{stdout: &stdout, stderr: &stderr}, func() time.Time { return now }, time.UTC, store.opener(&where)
			err := runList(context.Background(), &o)
			if code := exitCode(err); code != tt.code {
				t.Fatalf("exit %d, want %d: %v", code, tt.code, err)
			}
			if err != nil {
				if !strings.Contains(err.Error(), tt.want) || len(store.queries) > 0 {
					t.Errorf("error %q, want %q, and no query (%q)", err, tt.want, store.queries)
				}
				return
			}
			if len(store.queries) != 1 || store.queries[0] != tt.want {
				t.Errorf("queries %q, want %q", store.queries, tt.want)
			}
			if !store.closed || !strings.HasPrefix(stdout.String(), "TRACE ID") || strings.Count(stdout.String(), "\n") != 4 {
				t.Errorf("closed %v, stdout:\n%s", store.closed, stdout.String())
			}
		})
	}
}

func TestListOutputs(t *testing.T) {
	secret := "redis://:hunter2-0451@127.0.0.1:6379"
	for _, tt := range []struct {
		name           string
		list           []tracestore.Summary
		err            error
		json           bool
		stdout, stderr string // in them
		code           int
	}{
		{"json", summaries()[:1], nil, true, `{"trace_id":"` + checkoutID + `","service":"gateway"`, "", ExitOK},
		{"empty", nil, nil, false, "", "jstrace: no failing traces in redis://:xxxxx@127.0.0.1:6379 with service \"payments\"\n", ExitOK},
		{"empty json", nil, nil, true, "", "no failing traces in", ExitOK},
		{"store fails", nil, errors.New("i/o timeout"), false, "", "read store redis://:xxxxx@127.0.0.1:6379: i/o timeout", ExitStore},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := newFakeStore()
			store.list, store.err = tt.list, tt.err
			var stdout, stderr bytes.Buffer
			var where string
			o := &ListOptions{IO: &output{stdout: &stdout, stderr: &stderr}, Service: "payments", JSON: tt.json, kind: listErrors,
				StoreOptions: StoreOptions{Store: secret, open: store.opener(&where)}}
			err := runList(context.Background(), o)
			if err != nil {
				o.IO.errorf("%v", err)
			}
			if code := exitCode(err); code != tt.code {
				t.Errorf("exit %d, want %d: %v", code, tt.code, err)
			}
			if !strings.Contains(stdout.String(), tt.stdout) || tt.stdout == "" && stdout.Len() > 0 {
				t.Errorf("stdout %q, want %q", stdout.String(), tt.stdout)
			}
			if !strings.Contains(stderr.String(), tt.stderr) || strings.Contains(stderr.String(), "0451") {
				t.Errorf("stderr %q, want %q", stderr.String(), tt.stderr)
			}
			if where != secret {
				t.Errorf("opened %q", where)
			}
		})
	}
}

func TestCutRunes(t *testing.T) {
	if got := cutRunes("ééééé", 3); got != "éé…" || utf8.RuneCountInString(got) != 3 {
		t.Errorf("cutRunes = %q", got)
	}
	if got := cutRunes("abc", 3); got != "abc" {
		t.Errorf("cutRunes = %q", got)
	}
}

func TestBottlenecks(t *testing.T) {
	store := newFakeStore(checkoutSpans()...)
	got, err := bottlenecks(context.Background(), store, summaries())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] == nil || *got[0] != *necks()[0] || got[1] != nil || got[2] != nil {
		t.Errorf("bottlenecks %+v, want %+v", got, necks())
	}
	store.err = errors.New("i/o timeout")
	if _, err := bottlenecks(context.Background(), store, summaries()); !errors.Is(err, store.err) {
		t.Errorf("a store failing: %v", err)
	}
}
