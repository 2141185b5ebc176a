package script_test

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/script"
)

// fed returns an Aggregation that the probe called name feeds as it fires,
// as in a traced process.
func fed(t testing.TB, name string, spec script.Agg) *script.Aggregation {
	t.Helper()
	h := &host{}
	a := scripthost.NewTraces(h).Aggregate(name, spec)
	sub := jstrace.SubscribeFunc(func(n string) bool { return n == name }, h.aggs[0].Event)
	t.Cleanup(sub.Close)
	return a
}

// decoded returns an Aggregation fed decoded traces, as in the CLI, and a
// function that moves what the probe called name fired into it.
func decoded(t testing.TB, name string, spec script.Agg) (*script.Aggregation, func()) {
	t.Helper()
	h := &host{}
	a := scripthost.NewTraces(h).Aggregate(name, spec)
	sub := jstrace.Subscribe(func(n string) bool { return n == name }, 64<<20)
	t.Cleanup(sub.Close)
	return a, func() {
		for b := sub.Read(nil); len(b) > 0; {
			rec, rest, err := protocol.NextRecord(b)
			if err != nil {
				t.Fatal(err)
			}
			h.aggs[0].Trace(parse(t.(*testing.T), rec))
			b = rest
		}
	}
}

type statusCode int // a named type: not plain, so encoded

// randomFields returns the fields of a request:end-like event: a status of
// one of many kinds (plain or not), a duration of one of many kinds or
// missing, and sometimes fields that make the event not plain.
func randomFields(r *rand.Rand) []any {
	statuses := []any{200, int64(404), int32(500), uint(201), uint64(301), uint32(302), int8(7), uint16(8),
		"ok", "slow", strings.Repeat("s", 65), true, 1.5, time.Second, statusCode(503), errors.New("failed"), nil}
	durations := []any{time.Duration(r.ExpFloat64() * 1e6), r.IntN(1e6), uint64(r.IntN(1e6)), r.Float64() * 1e6,
		float32(r.Float64() * 1e6), int8(r.IntN(100)), math.NaN(), math.Inf(1), "n/a", false,
		statusCode(r.IntN(1e6)), strings.Repeat("d", 2000), []int{1}, nil}
	kv := []any{"id", r.IntN(1000), "path", "/users/7"}
	if r.IntN(8) != 0 {
		kv = append(kv, "status", statuses[r.IntN(len(statuses))])
	}
	if r.IntN(8) != 0 {
		kv = append(kv, "duration", durations[r.IntN(len(durations))])
	}
	switch r.IntN(12) {
	case 0:
		kv = append(kv, slog.Int("attr", 1)) // not plain
	case 1:
		kv = append(kv, "status", 299) // a repeated key: the last wins
	case 2:
		kv = append(kv, "pid", 7) // a reserved key
	case 3:
		// Not plain, in fields the aggregations do not read.
		kv = append(kv, "err", errors.New("failed"), "body", strings.Repeat("b", 2000), "tags", []string{"a"})
	case 4:
		// A key that is not a string: the record pairs the keys and
		// values after it otherwise than kv does (status is "status"
		// there, then "v" is a value with no key).
		kv = append(kv, slog.Int("attr", 1), "status", "status", "v")
	case 5:
		kv = append(kv, strings.Repeat("k", 2000), 1) // a long key
	case 6:
		// As in case 4, with the pairs as given leaving status as it was
		// and the record's making it "ok".
		kv = append(kv, slog.Int("attr", 1), "status", "ok", "v")
	}
	return kv
}

// The probes' feed (plain fields read as given, the rest encoded) and the
// CLI's (decoded traces) aggregate alike.
func TestAggregateFeedsAgree(t *testing.T) {
	for _, spec := range []script.Agg{{By: "status", Of: "duration"}, {By: "_pid", Of: "id"}, {Of: "status"}, {},
		{By: "status,path", Of: "duration"}, {By: "path,status,_pid", Of: "duration", Where: "duration>=1000"},
		{By: "status", Where: "status==ok"}, {By: "status", Where: "status!=slow"}, {By: "id,status", Where: "status<300"},
		{Of: "duration", Hist: script.Linear(0, 1e6, 1e4)}, {By: "status", Of: "duration", Hist: script.Pow2(), Where: "status!=200"},
		{By: "status", Where: "duration>=1000"}, {By: "path,status", Of: "id", Where: "duration<500000"}} {
		const name = "feedtest:agree"
		byEvent := fed(t, name, spec)
		byTrace, move := decoded(t, name, spec)
		probe := jstrace.NewProbe(name)
		r := rand.New(rand.NewPCG(7, 8))
		for range 20000 {
			probe.Emit(randomFields(r)...)
		}
		move()
		got, want := byEvent.Take(), byTrace.Take()
		sameSums(got, want)
		if len(got) == 0 || !reflect.DeepEqual(got, want) {
			t.Fatalf("%+v: by event %v\nby trace %v", spec, got, want)
		}
		if byEvent.Missing() != byTrace.Missing() || byEvent.Dropped() != byTrace.Dropped() {
			t.Fatalf("%+v: missing %d, dropped %d by event; %d, %d by trace", spec,
				byEvent.Missing(), byEvent.Dropped(), byTrace.Missing(), byTrace.Dropped())
		}
	}
}

// Probes on many goroutines add while the script takes and snapshots:
// nothing is lost or counted twice (run with -race).
func TestAggregateConcurrentFeed(t *testing.T) {
	a := fed(t, "feedtest:concurrent", script.Agg{By: "status", Of: "duration"})
	probe := jstrace.NewProbe("feedtest:concurrent")
	const goroutines, each = 8, 5000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				probe.Emit("status", 200+g%3, "duration", time.Duration(i+1))
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

// Firing a probe into an Aggregation allocates nothing once its group
// exists, plain or not: it is what every matching event costs the traced
// program.
func TestAggregateEventDoesNotAllocate(t *testing.T) {
	fed(t, "feedtest:allocs", script.Agg{By: "status", Of: "duration"})
	probe := jstrace.NewProbe("feedtest:allocs")
	for _, kv := range [][]any{
		{"id", 7, "status", 200, "duration", time.Millisecond},
		{"id", 7, "status", "ok", "duration", time.Millisecond},
		{"id", 7, "status", statusCode(200), "duration", time.Millisecond}, // encoded
	} {
		probe.Emit(kv...)
		if n := testing.AllocsPerRun(1000, func() { probe.Emit(kv...) }); n != 0 {
			t.Fatalf("%v: %v allocations per event", kv, n)
		}
	}
}

// Reserved keys are presented with one more underscore (see Trace): an
// Agg names fields as handlers read them.
func TestAggregateReservedKeys(t *testing.T) {
	probe := jstrace.NewProbe("feedtest:reserved")
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
		for _, plain := range []bool{true, false} {
			a := fed(t, "feedtest:reserved", script.Agg{By: tc.by})
			kv := []any{"pid", 7, "_pid", 8, "status", 200, "name", "probe-name"}
			if !plain {
				kv = append(kv, slog.Int("x", 1))
			}
			probe.Emit(kv...)
			g := a.Take()
			if got := fmt.Sprintf("%s:%d", g[0].Key, g[0].Count); len(g) != 1 || got != tc.want {
				t.Errorf("By %q (plain %v): groups %v, want %s", tc.by, plain, g, tc.want)
			}
		}
	}
}

// Records are parsed without trusting them: malformed ones are skipped or
// counted, never a panic (which the feed would catch and count in Dropped:
// the fuzzer checks that it never has to). The same goes for the Trace
// feed, which the CLI uses with records from the network.
func FuzzAggregateTrace(f *testing.F) {
	f.Add(record("request:end", num("status", 200), dur("duration", time.Second)))
	f.Add(record("request:end", str("status", "ok"), field("duration", protocol.KindFloat, 1, 2)))
	f.Add([]byte{byte(protocol.RecordEvent), 200})
	f.Fuzz(func(t *testing.T, rec []byte) {
		tr, err := scripthost.ParseTrace(rec, scripthost.Origin{})
		if err != nil {
			return
		}
		h := &host{}
		a := scripthost.NewTraces(h).Aggregate("*", script.Agg{By: "status", Of: "duration"})
		h.aggs[0].Trace(tr)
		a.Snapshot()
	})
}

// sameSums sets the sums of got to want's where they differ by rounding
// only: an Aggregation fed from several shards adds floats in another
// order (integers below 2^53, as durations, add up exactly either way).
func sameSums(got, want []script.Group) {
	for i := range min(len(got), len(want)) {
		g, w := &got[i], &want[i]
		if g.Key == w.Key && math.Abs(g.Sum-w.Sum) <= 1e-9*math.Abs(w.Sum) {
			g.Sum = w.Sum
		}
	}
}

// An event whose record is too large to keep (a field the aggregation does
// not read holds megabytes) is dropped and counted both ways, not counted
// as given where the probe fires and lost from the record.
func TestAggregateUnreadFieldTooLarge(t *testing.T) {
	const name = "feedtest:large"
	spec := script.Agg{By: "status", Of: "duration"}
	byEvent := fed(t, name, spec)
	byTrace, move := decoded(t, name, spec)
	rows := make([]string, 256)
	for i := range rows {
		rows[i] = strings.Repeat("r", 16<<10)
	}
	attrs := make([]slog.Attr, 256)
	for i := range attrs {
		attrs[i] = slog.String(strconv.Itoa(i), rows[i])
	}
	long := strings.Repeat("n", 1<<20)
	probe := jstrace.NewProbe(name)
	probe.Emit("status", 200, "duration", time.Millisecond, "rows", rows) // 4 MiB encoded
	probe.Emit("status", 200, "duration", time.Millisecond, "group", slog.GroupValue(attrs...))
	probe.Emit("status", 201, "duration", time.Millisecond, "note", long) // cut: counted
	probe.Emit("status", 201, "duration", time.Millisecond, "err", errors.New(long))
	move()
	got, want := byEvent.Take(), byTrace.Take()
	if !reflect.DeepEqual(got, want) || byEvent.Dropped() != 2 || byTrace.Dropped() != 0 {
		t.Fatalf("by event %v, dropped %d; by trace %v, dropped %d (the subscription's)", got, byEvent.Dropped(), want, byTrace.Dropped())
	}
	if len(got) != 1 || got[0].Count != 2 {
		t.Fatalf("groups %v: want the last two events' alone", got)
	}
}

// The keys an Aggregation notes for its field report are its own copies:
// a probe's key built at run time may be on its caller's stack, which is
// written over once the probe returns.
func TestAggregateNotedKeysCopied(t *testing.T) {
	const name = "feedtest:stackkey"
	h := &host{}
	scripthost.NewTraces(h).Aggregate(name, script.Agg{By: "status"})
	sub := jstrace.SubscribeFunc(func(n string) bool { return n == name }, h.aggs[0].Event)
	defer sub.Close()
	emitBuiltKey(jstrace.NewProbe(name), 42) // no status: its keys are noted
	scribble(64)
	if seen := h.aggs[0].Fields().Seen; !reflect.DeepEqual(seen, []string{"key42"}) {
		t.Fatalf("seen %q, want [key42]", seen)
	}
}

//go:noinline
func emitBuiltKey(p *jstrace.Probe, n int) {
	p.Emit("key"+strconv.Itoa(n), 1) // the key in a buffer on this stack
}

// scribble writes over the stack below its caller's frame.
//
//go:noinline
func scribble(depth int) byte {
	var b [256]byte
	for i := range b {
		b[i] = 'Z'
	}
	if depth == 0 {
		return b[7]
	}
	return scribble(depth-1) + b[depth%256]
}

// A nil error passed as a field ("err", err with err == nil) is a nil any:
// the record holds it (tagNil), which Trace.Str reads as "", while the
// in-probe Where reads it as a missing field.
func TestAggregateWhereOnNilValue(t *testing.T) {
	var nilErr error
	for _, spec := range []script.Agg{
		{By: "status", Where: `err==""`},
		{By: "status", Where: `err!=""`},
		{By: "status,path", Where: `err!=""`},
		{By: "status,path"},
	} {
		const name = "feedtest:nil"
		byEvent := fed(t, name, spec)
		byTrace, move := decoded(t, name, spec)
		probe := jstrace.NewProbe(name)
		probe.Emit("status", 200, "path", "/a", "err", nilErr)
		probe.Emit("status", 500, "path", "/a", "err", errors.New("boom"))
		move()
		got, want := byEvent.Take(), byTrace.Take()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%+v: by event %v\nby trace %v", spec, got, want)
		}
	}
}

// A Where string predicate on a string longer than jstrace.MaxValueLen:
// the record holds it cut.
func TestAggregateWhereOnLongString(t *testing.T) {
	long := strings.Repeat("x", jstrace.MaxValueLen+1)
	spec := script.Agg{By: "status", Where: "body==`" + long + "`"}
	const name = "feedtest:long"
	byEvent := fed(t, name, spec)
	byTrace, move := decoded(t, name, spec)
	jstrace.NewProbe(name).Emit("status", 200, "body", long)
	move()
	got, want := byEvent.Take(), byTrace.Take()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("by event %v\nby trace %v", got, want)
	}
}

// The field report: a By (several) field whose value is nil is missing
// in the probe, present in the record (a key too long to be noted as
// seen shows it).
func TestAggregateFieldReportNilBy(t *testing.T) {
	long := strings.Repeat("u", 65)
	spec := script.Agg{By: long + ",status"}
	const name = "feedtest:report"
	hE, hT := &host{}, &host{}
	scripthost.NewTraces(hE).Aggregate(name, spec)
	scripthost.NewTraces(hT).Aggregate(name, spec)
	subE := jstrace.SubscribeFunc(func(n string) bool { return n == name }, hE.aggs[0].Event)
	defer subE.Close()
	subT := jstrace.Subscribe(func(n string) bool { return n == name }, 1<<20)
	defer subT.Close()
	jstrace.NewProbe(name).Emit(long, nil, "status", 200)
	for b := subT.Read(nil); len(b) > 0; {
		rec, rest, err := protocol.NextRecord(b)
		if err != nil {
			t.Fatal(err)
		}
		hT.aggs[0].Trace(parse(t, rec))
		b = rest
	}
	if e, tr := hE.aggs[0].Fields(), hT.aggs[0].Fields(); !reflect.DeepEqual(e, tr) {
		t.Errorf("field report by event %+v, by trace %+v", e, tr)
	}
}
