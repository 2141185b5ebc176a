package agent_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// Two handlers read the same fields of the same events, one where its
// probe fires with constant keys only (the agent hands it those fields
// alone, encoded without the rest of the event), the other keeping its
// trace (it gets the whole record): they must read the same.
const fieldsScript = `package main

import (
	"time"

	"github.com/jstrace-go/jstrace/script"
)

var sum = map[string]int{}
var strs = map[string]string{}
var bad int
var last *script.Trace

func read(t *script.Trace, side string) {
	sum[side] += t.Int("i") + t.Int("u") + int(t.Float("f")*4) + int(t.Dur("d")/1000) + t.Int("dup") + t.Int("_pid") + t.Int("pid")
	if t.Bool("b") {
		sum[side+"-true"]++
	}
	if t.Has("missing") || t.Has("b") {
		sum[side+"-has"]++
	}
	strs[side] += t.Str("s") + t.Str("request_id")
}

func Remote(traces *script.Traces) {
	traces.On("fields:lent", func(t *script.Trace) {
		sum["lent"] += t.Int("i") + t.Int("u") + int(t.Float("f")*4) + int(t.Dur("d")/1000) + t.Int("dup") + t.Int("_pid") + t.Int("pid")
		if t.Bool("b") {
			sum["lent-true"]++
		}
		if t.Has("missing") || t.Has("b") {
			sum["lent-has"]++
		}
		strs["lent"] += t.Str("s") + t.Str("request_id")
		if t.Name != "fields:lent" || t.PID == 0 || time.Since(t.Time) > time.Hour {
			bad++
		}
	})
	traces.On("fields:kept", func(t *script.Trace) {
		last = t
		read(t, "kept")
	})
	traces.OnCleanup(func() {
		traces.Emit("result", "lent", sum["lent"], "kept", sum["kept"], "lent-true", sum["lent-true"], "kept-true", sum["kept-true"],
			"lent-has", sum["lent-has"], "kept-has", sum["kept-has"], "lent-s", strs["lent"], "kept-s", strs["kept"], "bad", bad)
	})
}
`

// counted is a field whose encoding is counted: the record of an event
// holding it calls String.
type counted struct{ calls *atomic.Int64 }

func (c counted) String() string { c.calls.Add(1); return "counted" }

func TestInlineHandlersReadOnlyTheirFields(t *testing.T) {
	a := start(t, agent.Options{})
	c := dial(t, a, "")
	rec := newRecorder()
	if _, err := c.Attach(&protocol.Attach{Name: "fields.go", Source: fieldsScript}, rec); err != nil {
		t.Fatal(err)
	}
	lent, kept := jstrace.NewProbe("fields:lent"), jstrace.NewProbe("fields:kept")
	var calls atomic.Int64
	ctx := jstrace.WithRequestID(context.Background(), "r1")
	fire := func(p *jstrace.Probe, i int) (whole bool) {
		kv := []any{"i", i, "u", uint64(3 * i), "f", float64(i) / 4, "d", time.Duration(i) * time.Millisecond,
			"s", fmt.Sprint("x", i%10), "b", i%3 == 0, "dup", -1, "dup", i, "pid", 7 * i, "other", counted{&calls}}
		switch i % 10 {
		case 3: // a value read that is not plain: the whole record
			kv[9] = errors.New("e")
			whole = true
		case 6: // an event of a context: its fields join these, in front
			p.EmitContext(ctx, kv...)
			return false
		case 9: // a key not a string: keys and values do not pair as given
			kv = append(append([]any{7}, kv...), 8)
			whole = true
		}
		p.Emit(kv...)
		return whole
	}
	for i := range 100 { // warm up: the handlers' first calls
		fire(lent, i)
		fire(kept, i)
	}
	calls.Store(0)
	const n = 2000
	wholes := int64(0)
	for i := range n {
		if fire(lent, i) {
			wholes++
		}
	}
	lentCalls := calls.Load()
	for i := range n {
		fire(kept, i)
	}
	// An event whose record would be too large is dropped and counted,
	// whichever handler it is for, even one that reads only a small field.
	rows := make([]any, 256)
	for i := range rows {
		rows[i] = strings.Repeat("r", 16<<10)
	}
	lent.Emit("i", 1_000_000, "rows", rows)
	kept.Emit("i", 1_000_000, "rows", rows)
	r, stats := result(t, c, rec)
	if stats.Dropped+stats.HandlerDropped != 2 || stats.Errors != 0 {
		t.Fatalf("events dropped (%d, %d), errors %d; want the two too large", stats.Dropped, stats.HandlerDropped, stats.Errors)
	}
	for _, k := range []string{"", "-true", "-has", "-s"} {
		if l, k := fmt.Sprint(r.Get("lent"+k)), fmt.Sprint(r.Get("kept"+k)); l != k {
			t.Errorf("the lent handler read %.80q, the one with the whole trace %.80q", l, k)
		}
	}
	if r.Int("bad") != 0 {
		t.Errorf("%d lent traces without their name, time or pid", r.Int("bad"))
	}
	// Only the events the fields could not be taken from were encoded
	// whole (calling String); the others encoded only what was read. An
	// event that found the engine busy (its lock taken, a slow call
	// demoting the handler under the race detector) is queued, and
	// encoded whole too: a few may.
	if lentCalls < wholes || lentCalls > wholes+n/20 {
		t.Errorf("%d events of the lent handler encoded whole, want %d (and a few queued)", lentCalls, wholes)
	}
}
