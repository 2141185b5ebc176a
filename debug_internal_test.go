package jstrace

import (
	"bytes"
	"container/list"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// fakeClock returns the given times, in milliseconds, one per event.
func fakeClock(ms ...float64) func() int64 {
	var mu sync.Mutex
	return func() int64 {
		mu.Lock()
		defer mu.Unlock()
		t := int64(ms[0] * float64(time.Millisecond))
		ms = ms[1:]
		return t
	}
}

// Two interleaved requests and an event without one: each line its request
// ID, name, time since that request's previous event, and fields.
func TestDebugGolden(t *testing.T) {
	defer goleak.VerifyNone(t)
	ch := NewChannel("dbgtest:req")
	q := NewProbe("dbgtest:query")
	for _, tc := range []struct {
		name  string
		color bool
		want  string
	}{
		{"plain", false, `a1 dbgtest:req:start +0ms method=GET path=/users/42
b2 dbgtest:req:start +0ms method=POST path=/orders
a1 dbgtest:query +0.750ms statement="SELECT name FROM users WHERE id = ?" rows=1
- dbgtest:query +0ms statement=VACUUM
b2 dbgtest:req:error +12.5ms error="no stock" handled=false
a1 dbgtest:req:end +2.80ms duration=D status=200
b2 dbgtest:req:end +150ms duration=D status=409 tags=[a "b c"] at={x:1.5}
`},
		{"tty", true, "\x1b[94ma1\x1b[0m dbgtest:req:start \x1b[94m+0ms\x1b[0m method=GET path=/users/42\n" +
			"\x1b[96mb2\x1b[0m dbgtest:req:start \x1b[96m+0ms\x1b[0m method=POST path=/orders\n" +
			"\x1b[94ma1\x1b[0m dbgtest:query \x1b[94m+0.750ms\x1b[0m statement=\"SELECT name FROM users WHERE id = ?\" rows=1\n" +
			"- dbgtest:query +0ms statement=VACUUM\n" +
			"\x1b[96mb2\x1b[0m dbgtest:req:error \x1b[96m+12.5ms\x1b[0m error=\"no stock\" handled=false\n" +
			"\x1b[94ma1\x1b[0m dbgtest:req:end \x1b[94m+2.80ms\x1b[0m duration=D status=200\n" +
			"\x1b[96mb2\x1b[0m dbgtest:req:end \x1b[96m+150ms\x1b[0m duration=D status=409 tags=[a \"b c\"] at={x:1.5}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			// Start reads the clock too (for durations): the debug clock
			// is read once per event, in this order.
			stop, err := startDebug(&out, "dbgtest:*", debugConfig{color: tc.color, clock: fakeClock(0, 0.5, 0.75, 3, 13, 3.55, 163), stopWait: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			a := WithRequestID(context.Background(), "a1")
			b := WithRequestID(context.Background(), "b2")
			opA := ch.Start(a, "method", "GET", "path", "/users/42")
			opB := ch.Start(b, "method", "POST", "path", "/orders")
			opA.start, opB.start = now()-int64(3050*time.Microsecond), now()-int64(162500*time.Microsecond)
			q.EmitContext(a, "statement", "SELECT name FROM users WHERE id = ?", "rows", 1)
			q.Emit("statement", "VACUUM")
			opB.Error(errors.New("no stock"), false)
			opA.End("status", 200)
			opB.End("status", 409, "tags", []string{"a", "b c"}, "at", map[string]float64{"x": 1.5})
			stop()
			stop()
			got := maskDurations(t, out.String())
			if got != tc.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// maskDurations replaces the durations Op measured (on the real clock:
// the test sets their start) by D, checking them first.
func maskDurations(t *testing.T, s string) string {
	var b strings.Builder
	for _, f := range strings.SplitAfter(s, " ") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(f), "duration="); ok {
			if d, err := time.ParseDuration(v); err != nil || d < 3*time.Millisecond || d > time.Minute {
				t.Errorf("duration %q", v)
			}
			f = strings.Replace(f, v, "D", 1)
		}
		b.WriteString(f)
	}
	return b.String()
}

// Names, request IDs, keys and values from outside never write control
// bytes or forge a line.
func TestDebugEscapes(t *testing.T) {
	defer goleak.VerifyNone(t)
	var out bytes.Buffer
	stop, err := startDebug(&out, "dbgesc:*", debugConfig{stopWait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx := WithRequestID(context.Background(), "r\x1b[2J\n")
	TraceContext(ctx, "dbgesc:\x1b]0;title\x07", "k ey", "v\x1b[31mred\r\nfake 1 line", "bidi", "a\u202eb", "ok", "é", "raw", []byte{0, 0xff}, "eq", "a=b", "empty", "")
	stop()
	got := out.String()
	want := `"r\x1b[2J\n" "dbgesc:\x1b]0;title\a" +0ms "k ey"="v\x1b[31mred\r\nfake 1 line" bidi="a\u202eb" ok="é" raw="\x00\xff" eq="a=b" empty=""` + "\n"
	if got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
	for _, c := range []byte(got[:len(got)-1]) {
		if c < ' ' || c == 0x7f {
			t.Fatalf("control byte %#x in %q", c, got)
		}
	}
}

// reentrant fires a probe from its String method, as a value that logs
// might.
type reentrant struct{ p *Probe }

func (r reentrant) String() string {
	r.p.EmitContext(WithRequestID(context.Background(), "inner"), "n", 1)
	return "outer"
}

// A field whose String method fires a probe that Debug prints does not
// deadlock it.
func TestDebugReentrant(t *testing.T) {
	defer goleak.VerifyNone(t)
	var out bytes.Buffer
	stop, err := startDebug(&out, "dbgre:*", debugConfig{stopWait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	inner := NewProbe("dbgre:inner")
	done := make(chan struct{})
	go func() {
		defer close(done)
		NewProbe("dbgre:outer").Emit("v", reentrant{inner})
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("deadlocked")
	}
	stop()
	if got, want := out.String(), "inner dbgre:inner +0ms n=1\n- dbgre:outer +0ms v=outer\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// The request IDs remembered are bounded: the least recently seen is
// forgotten first.
func TestDebugRequestsBounded(t *testing.T) {
	d := &debugOut{reqs: make(map[string]*list.Element)}
	d.since("first", 0)
	for i := range debugMaxRequests - 1 {
		d.since(fmt.Sprint("r", i), 1)
	}
	if got := d.since("first", 5); got != 5 {
		t.Errorf("first, remembered: %v since", got)
	}
	d.since("new", 6) // forgets r0, the least recent
	if d.last.Len() != debugMaxRequests || len(d.reqs) != debugMaxRequests {
		t.Fatalf("%d, %d remembered", d.last.Len(), len(d.reqs))
	}
	if got := d.since("r0", 10); got != 0 {
		t.Errorf("r0, forgotten: %v since, want 0", got)
	}
	if got := d.since("first", 3); got != 0 { // late events do not go back
		t.Errorf("first, earlier event: %v since, want 0", got)
	}
}

// blockingWriter blocks every Write until released.
type blockingWriter struct {
	release chan struct{}
	mu      sync.Mutex
	buf     bytes.Buffer
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// A writer that does not keep up never blocks probes: lines beyond the
// bound are dropped, counted and reported; stop does not wait for it
// beyond its bound.
func TestDebugSlowWriter(t *testing.T) {
	defer goleak.VerifyNone(t)
	w := &blockingWriter{release: make(chan struct{})}
	stop, err := startDebug(w, "dbgslow:*", debugConfig{})
	if err != nil {
		t.Fatal(err)
	}
	p := NewProbe("dbgslow:p")
	const n = 5000 // ~50 bytes a line: well over 64 KiB
	start := time.Now()
	for i := range n {
		p.Emit("i", i, "pad", "xxxxxxxxxxxxxxxx")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("%v to fire %d events into a blocked writer", d, n)
	}
	start = time.Now()
	stop()
	if d := time.Since(start); d < debugStopWait/2 || d > 3*debugStopWait {
		t.Errorf("stop took %v with the writer blocked, want about %v", d, debugStopWait)
	}
	close(w.release) // the writer goroutine finishes now
	// The drops may be reported in more than one line, as the writer
	// catches up: wait until every event is written or counted.
	var out string
	var lines, dropped int
	count := func() bool {
		w.mu.Lock()
		out = w.buf.String()
		w.mu.Unlock()
		lines, dropped = strings.Count(out, "dbgslow:p"), 0
		for _, l := range strings.Split(out, "\n") {
			var k int
			if _, err := fmt.Sscanf(l, "jstrace: %d debug lines dropped", &k); err == nil {
				dropped += k
			}
		}
		return lines+dropped >= n
	}
	waitFor(t, count)
	if lines+dropped != n || dropped == 0 || len(out) > 3*debugMaxPending {
		t.Errorf("%d lines written, %d dropped, of %d; %d bytes", lines, dropped, n, len(out))
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestDebugColorful(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if colorful(w) || colorful(io.Discard) || colorful(&bytes.Buffer{}) {
		t.Error("colours on a pipe or a buffer")
	}
	tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no terminal:", err)
	}
	defer tty.Close()
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "xterm")
	if !colorful(tty) {
		t.Error("no colours on a terminal")
	}
	t.Setenv("NO_COLOR", "1")
	if colorful(tty) {
		t.Error("colours despite NO_COLOR")
	}
}

// JSTRACE_DEBUG starts Debug on standard error when the package starts.
func TestDebugEnvironment(t *testing.T) {
	if os.Getenv("JSTRACE_TEST_CHILD") == "1" {
		TraceContext(WithRequestID(context.Background(), "env-1"), "envtest:hello", "n", 1)
		Trace("other:x")
		if envDebug == nil {
			fmt.Println("no envDebug")
			os.Exit(1)
		}
		envDebug()
		os.Exit(0)
	}
	for _, tc := range []struct{ env, want string }{
		{"envtest:*", "env-1 envtest:hello +0ms n=1\n"},
		{"", ""},
		{strings.Repeat("x", MaxPatternLen+1), "ERROR jstrace: JSTRACE_DEBUG ignored"},
	} {
		t.Run(tc.env, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestDebugEnvironment$")
			cmd.Env = append(os.Environ(), "JSTRACE_TEST_CHILD=1", "JSTRACE_DEBUG="+tc.env)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if tc.want == "" {
				if err == nil || !strings.Contains(string(out), "no envDebug") || stderr.Len() != 0 {
					t.Errorf("without JSTRACE_DEBUG: %v, %q, %q", err, out, stderr.String())
				}
				return
			}
			if strings.Contains(tc.want, "ignored") {
				if !strings.Contains(stderr.String(), tc.want) {
					t.Errorf("stderr %q, want %q", stderr.String(), tc.want)
				}
				return
			}
			if err != nil || stderr.String() != tc.want {
				t.Errorf("%v: stderr %q, want %q", err, stderr.String(), tc.want)
			}
		})
	}
}

// Whatever the fields, and whatever bytes the renderer is given, debug
// text has no control bytes, and rendering never panics.
func FuzzDebugText(f *testing.F) {
	f.Add("k", "v\x1b[31m\n", []byte{0, 1}, []byte{tagList, 2, tagString, 1, 'x', tagNil})
	f.Fuzz(func(t *testing.T, k, v string, raw, junk []byte) {
		rec := appendFields(nil, []any{k, v, "raw", raw, "list", []any{v, 1.5, map[string]any{k: v}}, "err", errors.New(v)})
		for _, in := range [][]byte{rec, junk} {
			out := appendFieldsText(nil, in, false, false)
			for _, c := range out {
				if c < ' ' || c == 0x7f {
					t.Fatalf("control byte %#x in %q", c, out)
				}
			}
		}
	})
}

// Many goroutines at once: every line whole, each request's in order.
func TestDebugConcurrent(t *testing.T) {
	defer goleak.VerifyNone(t)
	var out bytes.Buffer
	stop, err := startDebug(&out, "dbgconc:*", debugConfig{stopWait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	p := NewProbe("dbgconc:p")
	const workers, events = 4, 200
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := WithRequestID(context.Background(), fmt.Sprint("w", w))
			for i := range events {
				p.EmitContext(ctx, "i", i)
			}
		}()
	}
	wg.Wait()
	stop()
	next := map[string]int{}
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		var id string
		var i int
		if _, err := fmt.Sscanf(l, "%s dbgconc:p", &id); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if _, err := fmt.Sscanf(l[strings.LastIndex(l, " ")+1:], "i=%d", &i); err != nil || i != next[id] {
			t.Fatalf("line %q: want i=%d", l, next[id])
		}
		next[id]++
	}
	if len(next) != workers {
		t.Fatalf("requests %v", next)
	}
	for id, n := range next {
		if n != events {
			t.Errorf("%s: %d lines", id, n)
		}
	}
}

// Under a span, event lines leave the trace and span IDs out (the request
// ID groups them); the span's own lines keep them, to be quoted.
func TestDebugSpans(t *testing.T) {
	q := NewProbe("dbgspan:query")
	var out bytes.Buffer
	stop, err := startDebug(&out, "dbgspan:*,span:*", debugConfig{clock: fakeClock(0, 1, 2, 3), stopWait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx, span := StartSpan(WithRequestID(context.Background(), "a1"), "lookup")
	q.EmitContext(ctx, "rows", 1)
	TraceContext(context.Background(), "dbgspan:plain", "n", 2)
	time.Sleep(4 * time.Millisecond) // maskDurations wants at least 3 ms
	span.End()
	stop()
	ids := "trace_id=" + span.TraceID().String() + " span_id=" + span.SpanID().String()
	svc := Tracing().Service
	want := "a1 span:start +0ms " + ids + ` parent_id="" service=` + svc + " operation=lookup\n" +
		"a1 dbgspan:query +1.00ms rows=1\n" +
		"- dbgspan:plain +0ms n=2\n" +
		"a1 span:end +2.00ms " + ids + ` parent_id="" service=` + svc + " operation=lookup duration=D\n"
	if got := maskDurations(t, out.String()); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}
