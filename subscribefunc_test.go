package jstrace_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// A function subscription sees each event as its probe fires, encoded as
// the buffered subscriptions see it, and only while subscribed.
func TestSubscribeFunc(t *testing.T) {
	p := jstrace.NewProbe("func:fire")
	var got []protocol.Record
	s := jstrace.SubscribeFunc(func(n string) bool { return n == "func:fire" }, func(e jstrace.Event) {
		rec := e.Record()
		r, err := protocol.ParseRecord(append([]byte(nil), rec...)) // rec is only lent
		if err != nil {
			t.Errorf("record %x: %v", rec, err)
		}
		got = append(got, r)
	})
	buffered := subscribe(t, "func:fire")
	if !p.Enabled() {
		t.Fatal("probe not enabled")
	}
	before := time.Now()
	p.Emit("status", 200, "path", "/x")
	if len(got) != 1 || string(got[0].Name) != "func:fire" || got[0].Kind != protocol.RecordEvent || got[0].Time < before.UnixNano() {
		t.Fatalf("records %+v: want one, delivered before Emit returned", got)
	}
	want := readAll(t, buffered)
	if len(want) != 1 || fmt.Sprint(fields(t, got[0])) != fmt.Sprint(fields(t, want[0])) {
		t.Fatalf("fields %v, buffered subscription got %v", fields(t, got[0]), want)
	}
	if len(s.Read(nil)) != 0 || s.Ready() != nil || s.Filling() != nil {
		t.Error("a function subscription has no buffer to read")
	}
	if _, ok := s.Emit("summary", "n", 1); !ok || len(got) != 2 || got[1].Kind != protocol.RecordEmit || string(got[1].Name) != "summary" {
		t.Errorf("Emit: %d records", len(got))
	}
	s.Close()
	p.Emit("status", 500)
	if len(got) != 2 {
		t.Errorf("%d records after Close", len(got))
	}
}

// Oversized events have no record; their plain fields are still there.
func TestSubscribeFuncOversized(t *testing.T) {
	p := jstrace.NewProbe("func:oversized")
	var records, plain []bool
	s := jstrace.SubscribeFunc(func(n string) bool { return n == "func:oversized" }, func(e jstrace.Event) {
		_, ok := e.Args()
		records, plain = append(records, e.Record() != nil), append(plain, ok)
	})
	defer s.Close()
	var kv []any
	for i := range 100 {
		kv = append(kv, fmt.Sprint("k", i), strings.Repeat("x", jstrace.MaxValueLen))
	}
	p.Emit(kv...)
	p.Emit("small", 1)
	if fmt.Sprint(records, plain) != "[false true] [false true]" {
		t.Fatalf("records %v, plain %v", records, plain)
	}
}

// Args says which fields a consumer may read as given: exactly those whose
// record holds the same keys and values.
func TestEventArgsPlain(t *testing.T) {
	p := jstrace.NewProbe("func:plain")
	var plain bool
	s := jstrace.SubscribeFunc(func(n string) bool { return n == "func:plain" }, func(e jstrace.Event) { _, plain = e.Args() })
	defer s.Close()
	long := strings.Repeat("x", 1025)
	for _, tc := range []struct {
		kv    []any
		plain bool
	}{
		{nil, true},
		{[]any{"s", "GET", "i", 1, "i8", int8(1), "u", uint(2), "u64", uint64(3), "f", 1.5, "f32", float32(2), "b", true, "d", time.Second}, true},
		{[]any{"s", long}, false},
		{[]any{long, 1}, false},
		{[]any{"odd"}, false},
		{[]any{"err", fmt.Errorf("x")}, false},
		{[]any{"t", time.Now()}, false},
		{[]any{"list", []int{1}}, false},
		{[]any{"named", time.Month(1)}, false},
		{[]any{slog.Int("attr", 1)}, false},
		{[]any{1, 2}, false},
		{[]any{"nil", nil}, false},
	} {
		p.Emit(tc.kv...)
		if plain != tc.plain {
			t.Errorf("%v: plain %v", tc.kv, plain)
		}
	}
}

// Fields gives the fields as given when they are all of the event's,
// whatever their values (a context's joined in front of short ones); not
// when a context's are apart, nor for an odd count or more than 64 values.
func TestEventFields(t *testing.T) {
	p := jstrace.NewProbe("func:fields")
	var got string
	s := jstrace.SubscribeFunc(func(n string) bool { return n == "func:fields" }, func(e jstrace.Event) {
		kv, ok := e.Fields()
		got = fmt.Sprint(ok, kv)
	})
	defer s.Close()
	many := make([]any, 66)
	for i := range many {
		many[i] = "k"
	}
	for _, tc := range []struct {
		emit func()
		want string
	}{
		{func() { p.Emit() }, "true []"},
		{func() { p.Emit("status", 200, "err", fmt.Errorf("x"), "list", []int{1}) }, "true [status 200 err x list [1]]"},
		{func() { p.Emit(1, 2) }, "true [1 2]"},
		{func() { p.Emit("odd") }, "false []"},
		{func() { p.Emit(many...) }, "false []"},
		{func() { p.Emit(many[:64]...) }, fmt.Sprint(true, many[:64])},
		{func() { p.EmitContext(jstrace.WithRequestID(context.Background(), "r"), "status", 200) }, "true [request_id r status 200]"},
		{func() { p.EmitContext(jstrace.WithRequestID(context.Background(), "r"), many[:64]...) }, "false []"}, // the context's fields apart
		{func() { p.EmitContext(context.Background(), "status", 200) }, "true [status 200]"},
	} {
		tc.emit()
		if got != tc.want {
			t.Errorf("Fields: %s, want %s", got, tc.want)
		}
	}
}

// Probes fire on many goroutines: the function is called concurrently,
// once per event (run with -race).
func TestSubscribeFuncConcurrent(t *testing.T) {
	p := jstrace.NewProbe("func:concurrent")
	var n atomic.Int64
	s := jstrace.SubscribeFunc(func(name string) bool { return name == "func:concurrent" }, func(jstrace.Event) { n.Add(1) })
	defer s.Close()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				p.Emit("g", g, "i", i)
			}
		}()
	}
	wg.Wait()
	if n.Load() != 8000 {
		t.Fatalf("%d calls, want 8000", n.Load())
	}
}

// Firing a probe into a function subscription allocates nothing, whether
// it reads the fields as given or their record: both live on the probe's
// stack.
func TestAllocsSubscribeFunc(t *testing.T) {
	p := jstrace.NewProbe("alloc:func")
	total := 0
	s := jstrace.SubscribeFunc(func(n string) bool { return n == "alloc:func" }, func(e jstrace.Event) {
		kv, _ := e.Args()
		total += len(kv) + len(e.Record())
	})
	defer s.Close()
	n, m := 0, "GET"
	got := testing.AllocsPerRun(10000, func() {
		n++
		p.Emit("id", n, "method", m, "status", 200, "duration", time.Duration(n))
	})
	if got != 0 || total == 0 {
		t.Fatalf("Emit to a function subscription: %v allocs per call (%d seen)", got, total)
	}
}

func ExampleSubscribeFunc() {
	reqEnd := jstrace.NewProbe("example:func:request:end")
	var count atomic.Int64
	sub := jstrace.SubscribeFunc(func(probe string) bool { return probe == "example:func:request:end" },
		func(e jstrace.Event) { count.Add(1) }) // called as the probe fires: be quick
	defer sub.Close()

	for range 3 {
		reqEnd.Emit("status", 200)
	}
	fmt.Println(count.Load())
	// Output: 3
}

// A subscriber that reads one field of events as given: it checks every
// key, and the value it reads; anything else it would read from the
// record (here it just counts it).
func ExampleEvent_Fields() {
	reqEnd := jstrace.NewProbe("example:fields:request:end")
	var slow, other int
	sub := jstrace.SubscribeFunc(func(probe string) bool { return probe == "example:fields:request:end" },
		func(e jstrace.Event) {
			kv, ok := e.Fields()
			var d time.Duration
			for i := 0; ok && i < len(kv); i += 2 {
				k, isKey := kv[i].(string)
				ok = isKey
				if k == "duration" {
					d, ok = kv[i+1].(time.Duration)
				}
			}
			switch {
			case !ok:
				other++ // decode e.Record() instead
			case d > 100*time.Millisecond:
				slow++
			}
		})
	defer sub.Close()

	reqEnd.Emit("status", 200, "duration", 250*time.Millisecond, "user", struct{ ID int }{7})
	reqEnd.Emit("status", 200, "duration", 20*time.Millisecond)
	reqEnd.Emit("status", 500, "duration", "n/a")
	fmt.Println(slow, other)
	// Output: 1 1
}

// Buffered and function subscriptions to one probe, in any order, see the
// same record: encoded once, by whichever asks first.
func TestSubscribeFuncMixed(t *testing.T) {
	p := jstrace.NewProbe("func:mixed")
	match := func(n string) bool { return n == "func:mixed" }
	var seen [][]byte
	record := func(e jstrace.Event) { seen = append(seen, append([]byte(nil), e.Record()...)) }
	first := jstrace.Subscribe(match, 0)
	defer first.Close()
	f1 := jstrace.SubscribeFunc(match, record)
	defer f1.Close()
	second := jstrace.Subscribe(match, 0)
	defer second.Close()
	f2 := jstrace.SubscribeFunc(match, record)
	defer f2.Close()
	p.Emit("status", 200, "path", "/x")
	b1, b2 := first.Read(nil), second.Read(nil)
	r1, _, err1 := protocol.NextRecord(b1)
	r2, _, err2 := protocol.NextRecord(b2)
	if err1 != nil || err2 != nil || len(seen) != 2 {
		t.Fatalf("%v %v, %d records seen", err1, err2, len(seen))
	}
	for i, r := range [][]byte{r2, seen[0], seen[1]} {
		if string(r) != string(r1) {
			t.Errorf("record %d %x, want %x", i, r, r1)
		}
	}
}
