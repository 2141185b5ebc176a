package jstrace_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
)

// EmitContext and TraceContext put the context's request ID in front of
// the caller's fields, in the record and in Args, and hand the context to
// function subscribers; without a request ID they add nothing.
func TestEmitContext(t *testing.T) {
	p := jstrace.NewProbe("ctx:emit")
	jstrace.TraceContext(context.Background(), "ctx:trace") // no session: not registered, no panic
	buffered := subscribe(t, "ctx:emit", "ctx:trace")
	type seen struct {
		args    string
		plain   bool
		id, ctx string
		name    string
	}
	var got []seen
	s := jstrace.SubscribeFunc(func(n string) bool { return strings.HasPrefix(n, "ctx:") }, func(e jstrace.Event) {
		kv, plain := e.Args()
		id, _ := e.Context().Value(ctxTestKey{}).(string)
		got = append(got, seen{fmt.Sprint(kv), plain, e.RequestID(), id, e.Name()})
	})
	defer s.Close()
	ctx := jstrace.WithRequestID(context.WithValue(context.Background(), ctxTestKey{}, "mine"), "req-1")
	p.EmitContext(ctx, "status", 200)
	jstrace.TraceContext(ctx, "ctx:trace", "rows", 3)
	p.EmitContext(context.Background(), "status", 404)
	p.EmitContext(nil, "status", 500) //nolint:staticcheck // a nil context is tolerated
	p.Emit("status", 201)
	want := []seen{
		{"[request_id req-1 status 200]", true, "req-1", "mine", "ctx:emit"},
		{"[request_id req-1 rows 3]", true, "req-1", "mine", "ctx:trace"},
		{"[status 404]", true, "", "", "ctx:emit"},
		{"[status 500]", true, "", "", "ctx:emit"},
		{"[status 201]", true, "", "", "ctx:emit"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("function subscription saw\n%v\nwant\n%v", got, want)
	}
	recs := readAll(t, buffered)
	var recorded []string
	for _, r := range recs {
		recorded = append(recorded, fmt.Sprint(fields(t, r)))
	}
	wantRec := "[[{request_id req-1} {status 200}] [{request_id req-1} {rows 3}] [{status 404}] [{status 500}] [{status 201}]]"
	if fmt.Sprint(recorded) != wantRec {
		t.Fatalf("records %v, want %s", recorded, wantRec)
	}
}

type ctxTestKey struct{}

func TestRequestID(t *testing.T) {
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want string
	}{
		{"nil", nil, ""},
		{"none", context.Background(), ""},
		{"set", jstrace.WithRequestID(context.Background(), "a"), "a"},
		{"inner wins", jstrace.WithRequestID(jstrace.WithRequestID(context.Background(), "a"), "b"), "b"},
		{"inherited", context.WithValue(jstrace.WithRequestID(context.Background(), "a"), ctxTestKey{}, 1), "a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := jstrace.RequestID(tc.ctx); got != tc.want {
				t.Errorf("RequestID = %q, want %q", got, tc.want)
			}
		})
	}
}

// Long events keep every field, in order: joined while they can be plain,
// else the context's fields in front of the caller's in the record.
func TestEmitContextLong(t *testing.T) {
	p := jstrace.NewProbe("ctx:long")
	var args []string
	var plain []bool
	var recs [][]field
	s := jstrace.SubscribeFunc(func(n string) bool { return n == "ctx:long" }, func(e jstrace.Event) {
		kv, ok := e.Args()
		args, plain = append(args, fmt.Sprint(len(kv), " ", kv[0])), append(plain, ok)
	})
	defer s.Close()
	buffered := subscribe(t, "ctx:long")
	ctx := jstrace.WithRequestID(context.Background(), "r")
	for _, n := range []int{7, 8, 31, 32, 40} { // pairs: 16 and 64 values are the joins' bounds
		var kv []any
		for i := range n {
			kv = append(kv, fmt.Sprint("k", i), i)
		}
		p.EmitContext(ctx, kv...)
	}
	for _, r := range readAll(t, buffered) {
		recs = append(recs, fields(t, r))
	}
	want := "[16 request_id 18 request_id 64 request_id 64 k0 80 k0] [true true true false false]"
	if got := fmt.Sprint(args, plain); got != want {
		t.Errorf("Args: %s, want %s", got, want)
	}
	for i, n := range []int{7, 8, 31, 32, 40} {
		if len(recs[i]) != n+1 || fmt.Sprint(recs[i][0], recs[i][n]) != fmt.Sprintf("{request_id r} {k%d %d}", n-1, n-1) {
			t.Errorf("record %d: %v", i, recs[i])
		}
	}
}

var (
	chanTest = jstrace.NewChannel("ctest:op")
	errTest  = errors.New("boom")
)

// A Channel's lifecycle: the five probes, their fields, the context's
// request ID on each, and durations since Start.
func TestChannelLifecycle(t *testing.T) {
	if chanTest.Enabled() || chanTest.Start(context.Background()).Active() {
		t.Fatal("enabled with nobody listening")
	}
	if jstrace.NewChannel("ctest:op") != chanTest {
		t.Error("NewChannel: a second Channel for the same name")
	}
	var got []string
	s := jstrace.SubscribeFunc(func(n string) bool { return strings.HasPrefix(n, "ctest:op:") }, func(e jstrace.Event) {
		kv, _ := e.Args()
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == "duration" {
				if d, ok := kv[i+1].(time.Duration); !ok || d < time.Millisecond {
					t.Errorf("%s: duration %v", e.Name(), kv[i+1])
				}
				kv[i+1] = "D"
			}
		}
		got = append(got, fmt.Sprint(e.Name(), kv))
	})
	if !chanTest.Enabled() {
		t.Fatal("not enabled with a subscriber")
	}
	ctx := jstrace.WithRequestID(context.Background(), "r1")
	op := chanTest.Start(ctx, "layer", "auth")
	time.Sleep(time.Millisecond)
	op.Error(errTest, true, "status", 500)
	op.Error(nil, false)
	op.AsyncStart("what", "body")
	op.End("status", 200)
	op.AsyncEnd("bytes", 10)
	err := chanTest.Trace(ctx, func(context.Context) error { time.Sleep(time.Millisecond); return errTest })
	s.Close()
	if chanTest.Enabled() {
		t.Error("enabled after Close")
	}
	want := []string{
		"ctest:op:start[request_id r1 layer auth]",
		"ctest:op:error[request_id r1 error boom handled true status 500]",
		"ctest:op:asyncStart[request_id r1 what body]",
		"ctest:op:end[request_id r1 duration D status 200]",
		"ctest:op:asyncEnd[request_id r1 duration D bytes 10]",
		"ctest:op:start[request_id r1]",
		"ctest:op:error[request_id r1 error boom handled false]",
		"ctest:op:end[request_id r1 duration D]",
	}
	if err != errTest || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Trace returned %v; events\n%s\nwant\n%s", err, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A panic in Trace's fn is reported as an error, ends the operation, and
// goes on with its value.
func TestChannelTracePanic(t *testing.T) {
	c := jstrace.NewChannel("ctest:panic")
	var got []string
	s := jstrace.SubscribeFunc(func(n string) bool { return strings.HasPrefix(n, "ctest:panic:") }, func(e jstrace.Event) {
		kv, _ := e.Args()
		if len(kv) > 2 && kv[0] == "error" {
			kv = kv[:2]
		}
		if len(kv) == 2 && kv[0] == "duration" {
			kv = kv[:1]
		}
		got = append(got, fmt.Sprint(e.Name(), kv))
	})
	defer s.Close()
	for _, enabled := range []bool{true, false} {
		if !enabled {
			s.Close()
		}
		v := func() (v any) {
			defer func() { v = recover() }()
			_ = c.Trace(context.Background(), func(context.Context) error { panic(errTest) })
			return nil
		}()
		if v != errTest {
			t.Errorf("enabled %v: recovered %v, want the panic's own value", enabled, v)
		}
	}
	if g, want := fmt.Sprint(got), "[ctest:panic:start[] ctest:panic:error[error panic: boom] ctest:panic:end[duration]]"; g != want {
		t.Errorf("events %s, want %s", g, want)
	}
}

// Enabled follows a subscription to any one of the five probes, whoever
// registered them first.
func TestChannelEnabledPerProbe(t *testing.T) {
	early := jstrace.NewProbe("ctest:early:asyncEnd") // before the channel
	c := jstrace.NewChannel("ctest:early")
	for _, suffix := range []string{"start", "end", "asyncStart", "asyncEnd", "error"} {
		t.Run(suffix, func(t *testing.T) {
			s := jstrace.Subscribe(func(n string) bool { return n == "ctest:early:"+suffix }, 0)
			if !c.Enabled() {
				t.Error("not enabled")
			}
			s.SetMatch(nil)
			if c.Enabled() {
				t.Error("enabled after SetMatch(nil)")
			}
			s.Close()
		})
	}
	s := jstrace.Subscribe(func(n string) bool { return n == "ctest:early:asyncEnd" }, 0)
	defer s.Close()
	if !early.Enabled() || !c.Enabled() {
		t.Error("the probe registered before the channel does not enable it")
	}
	op := c.Start(context.Background())
	op.End()
	op.AsyncEnd()
	if recs := readAll(t, s); len(recs) != 1 || string(recs[0].Name) != "ctest:early:asyncEnd" {
		t.Errorf("records %v, want one asyncEnd", recs)
	}
}

func ExampleChannel() {
	queries := jstrace.NewChannel("example:query")
	s := jstrace.SubscribeFunc(func(n string) bool { return strings.HasPrefix(n, "example:query:") }, func(e jstrace.Event) {
		kv, _ := e.Args()
		fmt.Println(e.Name(), e.RequestID(), kv[:2])
	})
	defer s.Close()

	ctx := jstrace.WithRequestID(context.Background(), "req-7")
	_ = queries.Trace(ctx, func(ctx context.Context) error {
		return errors.New("no such table")
	}, "table", "users")
	// Output:
	// example:query:start req-7 [request_id req-7]
	// example:query:error req-7 [request_id req-7]
	// example:query:end req-7 [request_id req-7]
}
