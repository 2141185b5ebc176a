package script_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/protocol"
	"github.com/jstrace-go/jstrace/script"
)

// feeds returns an Aggregation and its host's Feed.
func feeds(t *testing.T, spec script.Agg) (*script.Aggregation, script.Feed) {
	t.Helper()
	h := &host{}
	a := script.NewTraces(h).Aggregate("request:end", spec)
	return a, h.aggs[0]
}

// randomRecord returns a request:end record with a status of one of several
// kinds and a duration, sometimes missing or not a number.
func randomRecord(r *rand.Rand) []byte {
	var status []byte
	switch r.IntN(5) {
	case 0:
		status = num("status", int64(200+100*r.IntN(4)))
	case 1:
		status = str("status", []string{"ok", "slow", "failed"}[r.IntN(3)])
	case 2:
		status = append(field("status", protocol.KindUint), byte(r.IntN(100)))
	case 3:
		status = field("status", protocol.KindTrue)
	}
	switch r.IntN(10) {
	case 0:
		return record("request:end", status)
	case 1:
		return record("request:end", status, str("duration", "n/a"))
	}
	return record("request:end", status, dur("duration", time.Duration(r.ExpFloat64()*1e6)))
}

// The probes' feed (records, on their goroutines) and the CLI's (decoded
// traces) aggregate alike.
func TestAggregateFeedsAgree(t *testing.T) {
	spec := script.Agg{By: "status", Of: "duration"}
	byRecord, rf := feeds(t, spec)
	byTrace, tf := feeds(t, spec)
	r := rand.New(rand.NewPCG(7, 8))
	for range 20000 {
		rec := randomRecord(r)
		rf.Record(rec)
		tf.Trace(parse(t, rec))
	}
	got, want := byRecord.Take(), byTrace.Take()
	if len(got) < 8 || !reflect.DeepEqual(got, want) {
		t.Fatalf("by record %v\nby trace %v", got, want)
	}
	if byRecord.Missing() != byTrace.Missing() || byRecord.Missing() == 0 {
		t.Fatalf("missing %d by record, %d by trace", byRecord.Missing(), byTrace.Missing())
	}
}

// Probes on many goroutines add while the script takes and snapshots:
// nothing is lost or counted twice (run with -race).
func TestAggregateConcurrentFeed(t *testing.T) {
	a, f := feeds(t, script.Agg{By: "status", Of: "duration"})
	const goroutines, each = 8, 5000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				f.Record(record("request:end", num("status", int64(200+g%3)), dur("duration", time.Duration(i+1))))
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	total := 0
	for n := 0; ; n++ {
		select {
		case <-done:
			for _, g := range a.Take() {
				total += g.Count
			}
			if total != goroutines*each {
				t.Fatalf("aggregated %d traces, want %d", total, goroutines*each)
			}
			return
		default:
		}
		if n%2 == 0 {
			a.Snapshot()
			continue
		}
		for _, g := range a.Take() {
			total += g.Count
		}
	}
}

// The probes' feed allocates nothing once a group exists: it is what every
// matching event costs the traced program.
func TestAggregateRecordDoesNotAllocate(t *testing.T) {
	_, f := feeds(t, script.Agg{By: "status", Of: "duration"})
	for _, rec := range [][]byte{
		record("request:end", num("status", 200), dur("duration", time.Millisecond)),
		record("request:end", str("status", "ok"), dur("duration", time.Millisecond)),
	} {
		f.Record(rec)
		if n := testing.AllocsPerRun(1000, func() { f.Record(rec) }); n != 0 {
			t.Fatalf("%v allocations per record", n)
		}
	}
}

// Records are parsed without trusting them: malformed ones are skipped or
// counted, never a panic (which the feed would catch and count in Dropped:
// the fuzzer checks that it never has to).
func FuzzAggregateRecord(f *testing.F) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		f.Add(randomRecord(r))
	}
	f.Add([]byte{})
	f.Add([]byte{byte(protocol.RecordEvent), 200})
	f.Fuzz(func(t *testing.T, rec []byte) {
		h := &host{}
		a := script.NewTraces(h).Aggregate("*", script.Agg{By: "status", Of: "duration"})
		h.aggs[0].Record(rec)
		if a.Dropped() != 0 {
			t.Fatalf("record %x panicked the aggregation", rec)
		}
		a.Snapshot()
	})
}

// Reserved keys are presented with one more underscore (see Trace): an
// Agg names fields as handlers read them.
func TestAggregateReservedKeys(t *testing.T) {
	for _, tc := range []struct {
		by, want string
	}{
		{"_pid", `7:1`},           // the probe's "pid" field
		{"pid", `:1`},             // the process's pid is no field: one group ""
		{"__pid", `8:1`},          // the probe's "_pid" field
		{"status", `200:1`},       // an ordinary key
		{"", `:1`},                // no grouping
		{"_status", `:1`},         // no such field
		{"_name", `probe-name:1`}, // the probe's "name" field
	} {
		a, f := feeds(t, script.Agg{By: tc.by})
		f.Record(record("request:end", num("pid", 7), num("_pid", 8), num("status", 200), str("name", "probe-name")))
		g := a.Take()
		if got := fmt.Sprintf("%s:%d", g[0].Key, g[0].Count); len(g) != 1 || got != tc.want {
			t.Errorf("By %q: groups %v, want %s", tc.by, g, tc.want)
		}
	}
}
