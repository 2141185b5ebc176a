package script_test

import (
	"slices"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/script"
)

// fieldsOf feeds an Aggregation of spec with events of the probe name,
// both ways (as probes fire, and decoded as in the CLI), and returns
// both reports.
func fieldsOf(t *testing.T, name string, spec script.Agg, events ...[]any) []scripthost.FieldReport {
	t.Helper()
	var reports []scripthost.FieldReport
	for _, way := range []string{"fed", "decoded"} {
		h := &host{}
		scripthost.NewTraces(h).Aggregate(name, spec)
		f := h.aggs[0]
		var sub *jstrace.Subscription
		if way == "fed" {
			sub = jstrace.SubscribeFunc(func(n string) bool { return n == name }, f.Event)
		} else {
			sub = jstrace.Subscribe(func(n string) bool { return n == name }, 1<<20)
		}
		for _, kv := range events {
			jstrace.Trace(name, kv...)
		}
		if way == "decoded" {
			for b := sub.Read(nil); len(b) > 0; {
				rec, rest, err := protocol.NextRecord(b)
				if err != nil {
					t.Fatal(err)
				}
				f.Trace(parse(t, rec))
				b = rest
			}
		}
		sub.Close()
		reports = append(reports, f.Fields())
	}
	return reports
}

func TestFieldReport(t *testing.T) {
	ok := []any{"status", 200, "duration", time.Millisecond, "_pid", 1}
	for _, tt := range []struct {
		name    string
		spec    script.Agg
		events  [][]any
		missing []string
		seen    []string
	}{
		{"right", script.Agg{By: "status", Of: "duration"}, [][]any{ok, ok}, nil, nil},
		{"of misspelt", script.Agg{By: "status", Of: "duraton"}, [][]any{ok, ok}, []string{"duraton"}, []string{"status", "duration", "__pid"}},
		{"by misspelt", script.Agg{By: "stauts", Of: "duration"}, [][]any{ok, ok}, []string{"stauts"}, []string{"status", "duration", "__pid"}},
		{"count by misspelt", script.Agg{By: "stauts"}, [][]any{ok}, []string{"stauts"}, []string{"status", "duration", "__pid"}},
		{"by empty", script.Agg{By: "user"}, [][]any{{"user", ""}}, nil, []string{"user"}},
		{"by sometimes", script.Agg{By: "user"}, [][]any{{"id", 1}, {"user", "ann"}}, nil, []string{"id"}},
		{"of sometimes", script.Agg{Of: "duration"}, [][]any{{"id", 1}, ok}, nil, []string{"id"}},
		{"no traces", script.Agg{By: "stauts", Of: "duraton"}, nil, nil, nil},
		{"by two", script.Agg{By: "status,__pid"}, [][]any{ok}, nil, nil},
		{"by two, one misspelt", script.Agg{By: "status,rout", Of: "duration"}, [][]any{ok}, []string{"rout"}, []string{"status", "duration", "__pid"}},
		{"by two, one sometimes", script.Agg{By: "status,user"}, [][]any{ok, {"user", "ann"}}, nil, []string{"status", "duration", "__pid"}},
		{"where right", script.Agg{Where: "status>=500"}, [][]any{ok}, nil, nil},
		{"where misspelt", script.Agg{Where: "stauts>=500"}, [][]any{ok, ok}, []string{"stauts"}, []string{"status", "duration", "__pid"}},
		{"where sometimes", script.Agg{Where: "user==ann"}, [][]any{{"id", 1}, {"user", "ann"}}, nil, []string{"id"}},
		{"of not numeric only", script.Agg{Of: "status"}, [][]any{{"status", "slow"}}, []string{"status"}, []string{"status"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for i, r := range fieldsOf(t, "fields:"+tt.name, tt.spec, tt.events...) {
				if !slices.Equal(r.Missing, tt.missing) || !slices.Equal(r.Seen, tt.seen) {
					t.Errorf("way %d: missing %q seen %q, want %q %q", i, r.Missing, r.Seen, tt.missing, tt.seen)
				}
			}
		})
	}
}

// TestFieldReportBounded checks that an Aggregation notes few keys,
// however many traces lack its field and however many keys they have.
func TestFieldReportBounded(t *testing.T) {
	var kv []any
	for i := range 40 {
		kv = append(kv, string(rune('a'+i%26))+string(rune('a'+i/26)), i)
	}
	kv = append(kv, string(make([]byte, 100)), 1)
	events := make([][]any, 100)
	for i := range events {
		events[i] = kv
	}
	for _, r := range fieldsOf(t, "fields:bounded", script.Agg{Of: "duration"}, events...) {
		if len(r.Seen) != 16 || len(r.Missing) != 1 {
			t.Fatalf("seen %d names, missing %q", len(r.Seen), r.Missing)
		}
	}
}
