package jstrace_test

import (
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// field is a decoded field.
type field struct {
	key string
	val any
}

// readAll drains a subscription and decodes its records.
func readAll(t testing.TB, s *jstrace.Subscription) []protocol.Record {
	t.Helper()
	var recs []protocol.Record
	buf := s.Read(nil)
	for len(buf) > 0 {
		rec, rest, err := protocol.NextRecord(buf)
		if err != nil {
			t.Fatal(err)
		}
		r, err := protocol.ParseRecord(rec)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
		buf = rest
	}
	return recs
}

func fields(t testing.TB, r protocol.Record) []field {
	t.Helper()
	var fs []field
	for f := r.Fields; len(f) > 0; {
		k, v, rest, err := protocol.NextField(f)
		if err != nil {
			t.Fatal(err)
		}
		x, _, err := protocol.DecodeValue(v)
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, field{string(k), x})
		f = rest
	}
	return fs
}

func subscribe(t testing.TB, names ...string) *jstrace.Subscription {
	t.Helper()
	s := jstrace.Subscribe(func(n string) bool {
		for _, x := range names {
			if n == x {
				return true
			}
		}
		return false
	}, 0)
	t.Cleanup(s.Close)
	return s
}

type stringer struct{ s string }

func (s stringer) String() string { return "stringer:" + s.s }

type nilStringer struct{ s *string }

func (n *nilStringer) String() string { return *n.s }

type point struct {
	X, Y   int
	hidden int
}

type level int

func TestEmitKeepsKinds(t *testing.T) {
	p := jstrace.NewProbe("test:kinds")
	s := subscribe(t, "test:kinds")
	when := time.Date(2026, 11, 26, 5, 0, 0, 123, time.UTC)
	var nilPtr *nilStringer
	p.Emit(
		"int", 42, "neg", int8(-3), "uint", uint16(7), "float", 2.5, "f32", float32(0.5),
		"str", "hello", "bytes", []byte{1, 2}, "bool", true, "false", false, "nil", nil,
		"time", when, "dur", 1500*time.Millisecond, "err", errors.New("boom"),
		"stringer", stringer{"x"}, "list", []any{1, "a"}, "ints", []int{3, 4},
		"map", map[string]any{"k": 1}, "intmap", map[int]string{1: "one"},
		"struct", point{1, 2, 3}, "ptr", &point{5, 6, 0}, "named", level(9),
		"nilptr", nilPtr, "panicky", &nilStringer{},
		slog.Int("attr", 5), slog.Group("grp", "a", 1),
		"odd",
	)
	recs := readAll(t, s)
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	r := recs[0]
	if string(r.Name) != "test:kinds" || r.Kind != protocol.RecordEvent || time.Since(time.Unix(0, r.Time)) > time.Minute {
		t.Fatalf("record %s kind %d time %d", r.Name, r.Kind, r.Time)
	}
	want := []field{
		{"int", 42}, {"neg", -3}, {"uint", uint(7)}, {"float", 2.5}, {"f32", 0.5},
		{"str", "hello"}, {"bytes", []byte{1, 2}}, {"bool", true}, {"false", false}, {"nil", nil},
		{"time", time.Unix(0, when.UnixNano())}, {"dur", 1500 * time.Millisecond}, {"err", errors.New("boom")},
		{"stringer", "stringer:x"}, {"list", []any{1, "a"}}, {"ints", []any{3, 4}},
		{"map", map[string]any{"k": 1}}, {"intmap", map[any]any{1: "one"}},
		{"struct", map[string]any{"X": 1, "Y": 2}}, {"ptr", map[string]any{"X": 5, "Y": 6}}, {"named", 9},
		{"nilptr", nil}, {"panicky", "!PANIC(runtime error: invalid memory address or nil pointer dereference)"},
		{"attr", 5}, {"grp", map[string]any{"a": 1}},
		{"!BADKEY", "odd"},
	}
	got := fields(t, r)
	if len(got) != len(want) {
		t.Fatalf("got %d fields, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("field %d: got %#v, want %#v", i, got[i], want[i])
		}
	}
}

func TestEncodingLimits(t *testing.T) {
	p := jstrace.NewProbe("test:limits")
	s := jstrace.Subscribe(func(n string) bool { return n == "test:limits" }, 4<<20)
	defer s.Close()
	type node struct{ Next any }
	var deep any = "bottom"
	for range 20 {
		deep = node{deep}
	}
	cyclic := []any{nil}
	cyclic[0] = cyclic
	p.Emit("long", strings.Repeat("é", jstrace.MaxValueLen), "many", make([]int, 1000), "deep", deep, "cyclic", cyclic)
	fs := fields(t, readAll(t, s)[0])
	long := fs[0].val.(string)
	if len(long) > jstrace.MaxValueLen+32 || !strings.Contains(long, "…(+") {
		t.Errorf("long string: %d bytes, suffix %q", len(long), long[len(long)-20:])
	}
	if n := len(fs[1].val.([]any)); n != jstrace.MaxElems {
		t.Errorf("list kept %d elements", n)
	}
	depth := 0
	for v := fs[2].val; ; depth++ {
		m, ok := v.(map[string]any)
		if !ok {
			if v != "…" {
				t.Errorf("deepest value %v", v)
			}
			break
		}
		v = m["Next"]
	}
	if depth != jstrace.MaxDepth {
		t.Errorf("depth %d, want %d", depth, jstrace.MaxDepth)
	}
}

func TestProbeEnabledFollowsSubscriptions(t *testing.T) {
	p := jstrace.NewProbe("test:enabled")
	if p.Enabled() {
		t.Fatal("enabled without subscription")
	}
	if jstrace.NewProbe("test:enabled") != p {
		t.Fatal("NewProbe returned another probe for the same name")
	}
	s := jstrace.Subscribe(func(n string) bool { return strings.HasPrefix(n, "test:") }, 0)
	if !p.Enabled() {
		t.Fatal("not enabled by a matching subscription")
	}
	later := jstrace.NewProbe("test:later")
	if !later.Enabled() {
		t.Fatal("a probe registered after the subscription is not enabled")
	}
	s.SetMatch(func(n string) bool { return n == "test:later" })
	if p.Enabled() || !later.Enabled() {
		t.Fatal("SetMatch did not reroute")
	}
	s.Close()
	s.Close()
	if p.Enabled() || later.Enabled() {
		t.Fatal("still enabled after Close")
	}
}

func TestTraceRegistersWhileAttached(t *testing.T) {
	name := fmt.Sprintf("test:dynamic:%d", time.Now().UnixNano())
	jstrace.Trace(name, "k", 1) // no session: not even registered
	for _, n := range jstrace.Probes() {
		if n == name {
			t.Fatal("Trace registered a probe while no session was attached")
		}
	}
	s := subscribe(t, name)
	jstrace.Trace(name, "k", 2)
	recs := readAll(t, s)
	if len(recs) != 1 || fields(t, recs[0])[0].val != 2 {
		t.Fatalf("records %v", recs)
	}
}

func TestFullBufferDropsAndCounts(t *testing.T) {
	p := jstrace.NewProbe("test:flood")
	s := jstrace.Subscribe(func(n string) bool { return n == "test:flood" }, 4096)
	defer s.Close()
	payload := strings.Repeat("x", 100)
	for i := range 1000 {
		p.Emit("i", i, "p", payload)
	}
	got := uint64(len(readAll(t, s)))
	if s.Dropped() == 0 || got+s.Dropped() != 1000 {
		t.Fatalf("kept %d, dropped %d of 1000", got, s.Dropped())
	}
	p.Emit("i", -1)
	if recs := readAll(t, s); len(recs) != 1 {
		t.Fatalf("after draining, %d records", len(recs))
	}
}

func TestConcurrentEmitters(t *testing.T) {
	p := jstrace.NewProbe("test:concurrent")
	s := jstrace.Subscribe(func(n string) bool { return n == "test:concurrent" }, 8<<20)
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
	seen := 0
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		case <-s.Ready():
		}
		seen += len(readAll(t, s))
	}
	if uint64(seen)+s.Dropped() != 8000 || s.Dropped() != 0 {
		t.Fatalf("seen %d, dropped %d", seen, s.Dropped())
	}
}

func TestSubscriptionEmit(t *testing.T) {
	s := jstrace.Subscribe(nil, 0)
	defer s.Close()
	if n, ok := s.Emit("summary", "n", 3); !ok || n < 10 {
		t.Fatalf("Emit = %d, %v", n, ok)
	}
	recs := readAll(t, s)
	if len(recs) != 1 || recs[0].Kind != protocol.RecordEmit || string(recs[0].Name) != "summary" {
		t.Fatalf("records %+v", recs)
	}
}

func ExampleProbe() {
	reqEnd := jstrace.NewProbe("example:request:end")

	// While nobody traces, Enabled is one atomic load and nothing is built.
	status, elapsed := 200, 12*time.Millisecond
	if reqEnd.Enabled() {
		reqEnd.Emit("status", status, "duration", elapsed)
	}
	fmt.Println(reqEnd.Name(), reqEnd.Enabled())
	// Output: example:request:end false
}

func ExampleTrace() {
	// Trace takes the probe name at the call site; with nobody subscribed
	// it returns at once. Here an in-process subscriber prints what fires.
	sub := jstrace.SubscribeFunc(func(probe string) bool { return probe == "example:db:query" },
		func(e jstrace.Event) {
			kv, _ := e.Args()
			fmt.Println(kv...)
		})
	jstrace.Trace("example:db:query", "table", "users", "rows", 3)
	sub.Close()
	jstrace.Trace("example:db:query", "table", "orders", "rows", 5) // nobody listens
	// Output: table users rows 3
}

func TestOversizedEventIsDroppedAndCounted(t *testing.T) {
	p := jstrace.NewProbe("test:oversized")
	s := jstrace.Subscribe(func(n string) bool { return n == "test:oversized" }, 16<<20)
	defer s.Close()
	var kv []any
	for i := range 100 {
		kv = append(kv, fmt.Sprint("k", i), strings.Repeat("x", jstrace.MaxValueLen))
	}
	p.Emit(kv...)
	p.Emit("small", 1)
	if recs := readAll(t, s); len(recs) != 1 || s.Dropped() != 1 {
		t.Fatalf("%d records, %d dropped; want the 1.6 MiB event dropped and counted", len(recs), s.Dropped())
	}
}

// A consumer that only reads when told must never be left with records and
// no signal, however producers and reads interleave.
func TestReadyNeverMissesRecords(t *testing.T) {
	p := jstrace.NewProbe("test:ready")
	s := jstrace.Subscribe(func(n string) bool { return n == "test:ready" }, 64<<20)
	defer s.Close()
	const producers, each = 4, 20000
	var wg sync.WaitGroup
	for range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				p.Emit("i", i)
			}
		}()
	}
	seen := 0
	var buf []byte
	for seen < producers*each {
		select {
		case <-s.Ready():
		case <-time.After(5 * time.Second):
			t.Fatalf("stuck with %d of %d records read, %d dropped", seen, producers*each, s.Dropped())
		}
		buf = s.Read(buf[:0])
		for b := buf; len(b) > 0; seen++ {
			_, rest, err := protocol.NextRecord(b)
			if err != nil {
				t.Fatal(err)
			}
			b = rest
		}
	}
	wg.Wait()
}

// A small structure that multiplies when encoded (the same inner list 256
// times, three levels deep, around a 16 KiB string: 256 GiB encoded) costs
// at most MaxRecordSize, and is dropped and counted.
func TestMultiplyingEventIsBounded(t *testing.T) {
	s := jstrace.Subscribe(nil, 4<<20)
	defer s.Close()
	var v any = strings.Repeat("x", jstrace.MaxValueLen)
	for range 3 {
		l := make([]any, jstrace.MaxElems)
		for i := range l {
			l[i] = v
		}
		v = l
	}
	if _, ok := s.Emit("bomb", "v", v); ok {
		t.Fatal("a record far over MaxRecordSize was written")
	}
	if s.Dropped() != 1 {
		t.Fatalf("dropped %d", s.Dropped())
	}
}

// Producers racing a consumer over a ring much smaller than what goes
// through it (so that it wraps, fills and restarts empty over and over)
// deliver every record whole and in each producer's order, and every record
// is either read or counted as dropped.
func TestSmallRingUnderContention(t *testing.T) {
	p := jstrace.NewProbe("test:contention")
	s := jstrace.Subscribe(func(n string) bool { return n == "test:contention" }, 4<<10)
	defer s.Close()
	const producers, each = 3, 20000
	pad := strings.Repeat("x", 100)
	var wg sync.WaitGroup
	for g := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				p.Emit("g", g, "i", i, "pad", pad)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	last := [producers]int{-1, -1, -1}
	read := 0
	var buf []byte
	consume := func() {
		buf = s.Read(buf[:0])
		for b := buf; len(b) > 0; read++ {
			rec, rest, err := protocol.NextRecord(b)
			if err != nil {
				t.Fatal(err)
			}
			r, err := protocol.ParseRecord(rec)
			if err != nil {
				t.Fatalf("record %d: %v", read, err)
			}
			fs := fields(t, r)
			g, i := fs[0].val.(int), fs[1].val.(int)
			if i <= last[g] || fs[2].val != pad {
				t.Fatalf("producer %d: record %d after %d, pad %q", g, i, last[g], fs[2].val)
			}
			last[g] = i
			b = rest
		}
	}
	for {
		select {
		case <-s.Ready():
			consume()
			continue
		case <-done:
		}
		break
	}
	consume()
	if got := uint64(read) + s.Dropped(); got != producers*each {
		t.Fatalf("read %d + dropped %d = %d, want %d", read, s.Dropped(), got, producers*each)
	}
	if read == 0 || s.Dropped() == 0 {
		t.Logf("read %d, dropped %d: the ring neither filled nor drained", read, s.Dropped())
	}
}
