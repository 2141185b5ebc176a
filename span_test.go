package jstrace_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/jstrace-go/jstrace"
)

// recordSpans collects every recorded span until the test ends.
func recordSpans(t *testing.T) func() []*jstrace.SpanData {
	t.Helper()
	var mu sync.Mutex
	var got []*jstrace.SpanData
	stop := jstrace.OnSpanEnd(func(d *jstrace.SpanData) {
		mu.Lock()
		got = append(got, d)
		mu.Unlock()
	})
	t.Cleanup(stop)
	return func() []*jstrace.SpanData {
		mu.Lock()
		defer mu.Unlock()
		return append([]*jstrace.SpanData(nil), got...)
	}
}

func setTracing(t *testing.T, o jstrace.TracingOptions) {
	old := jstrace.Tracing()
	jstrace.SetTracing(o)
	t.Cleanup(func() { jstrace.SetTracing(old) })
}

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestSpanTree(t *testing.T) {
	setTracing(t, jstrace.TracingOptions{Service: "orders", Version: "1.2.3", Tags: []any{"region", "eu"}})
	spans := recordSpans(t)
	ctx, root := jstrace.StartSpan(context.Background(), "GET /orders", "user", 7)
	cctx, child := jstrace.StartSpan(ctx, "db query")
	if jstrace.SpanFromContext(cctx) != child || jstrace.SpanFromContext(ctx) != root {
		t.Fatal("SpanFromContext does not return the started spans")
	}
	child.SetTag("rows", 3)
	child.SetTag("rows", 4) // replaces
	child.Log("retrying", "attempt", 2)
	child.SetError(fmt.Errorf("query: %w", errCode{"E42"}))
	child.End()
	child.End() // once
	root.End()

	if root.TraceID() != child.TraceID() || !hex32.MatchString(root.TraceID().String()) {
		t.Fatalf("trace IDs %s, %s", root.TraceID(), child.TraceID())
	}
	if root.ParentID().IsValid() || child.ParentID() != root.SpanID() {
		t.Fatalf("parent links: root's %v, child's %v (root %v)", root.ParentID(), child.ParentID(), root.SpanID())
	}
	got := spans()
	if len(got) != 2 {
		t.Fatalf("recorded %d spans, want 2", len(got))
	}
	c, r := got[0], got[1]
	if c.Operation != "db query" || r.Operation != "GET /orders" || c.ParentID != r.SpanID || r.ParentID.IsValid() {
		t.Fatalf("spans %+v %+v", c, r)
	}
	if c.Resource.Service != "orders" || c.Resource.Version != "1.2.3" || c.Resource.Host == "" ||
		fmt.Sprint(c.Resource.Tags) != "[{region eu}]" {
		t.Errorf("resource %+v", c.Resource)
	}
	if fmt.Sprint(c.Tags) != "[{rows 4}]" || fmt.Sprint(r.Tags) != "[{user 7}]" {
		t.Errorf("tags %v, %v", c.Tags, r.Tags)
	}
	if len(c.Logs) != 1 || c.Logs[0].Message != "retrying" || fmt.Sprint(c.Logs[0].Fields) != "[{attempt 2}]" || c.Logs[0].Time.Before(c.Start) {
		t.Errorf("logs %+v", c.Logs)
	}
	if e := c.Error; e == nil || e.Type != "jstrace_test.errCode" || e.Message != "query: failed E42" || e.Code != "E42" || e.Data != "data of E42" || e.Stack != "" {
		t.Errorf("error %+v", c.Error)
	}
	if c.Duration <= 0 || r.Duration < c.Duration || c.Start.Before(r.Start) {
		t.Errorf("times: child %v+%v, root %v+%v", c.Start, c.Duration, r.Start, r.Duration)
	}
}

type errCode struct{ code string }

func (e errCode) Error() string     { return "failed " + e.code }
func (e errCode) ErrorCode() string { return e.code }
func (e errCode) ErrorData() any    { return "data of " + e.code }

func TestSpanErrorStack(t *testing.T) {
	setTracing(t, jstrace.TracingOptions{ErrorStack: true})
	spans := recordSpans(t)
	_, s := jstrace.StartSpan(context.Background(), "op")
	s.SetError(errors.New("boom"))
	s.End()
	if got := spans(); len(got) != 1 || !strings.Contains(got[0].Error.Stack, "TestSpanErrorStack") {
		t.Fatalf("stack: %+v", got)
	}
}

func TestSpanLimits(t *testing.T) {
	spans := recordSpans(t)
	_, s := jstrace.StartSpan(context.Background(), "op")
	for i := 0; i < jstrace.MaxSpanTags+10; i++ {
		s.SetTag(fmt.Sprint("k", i), i)
	}
	for i := 0; i < jstrace.MaxSpanLogs+3; i++ {
		s.Log("m")
	}
	s.SetTag("big", strings.Repeat("x", jstrace.MaxValueLen+100))
	type loop struct{ Next *loop }
	l := &loop{}
	l.Next = l
	s.SetTag("k0", l) // cyclic: rendered within bounds
	s.End()
	d := spans()[0]
	if len(d.Tags) != jstrace.MaxSpanTags || d.DroppedTags != 11 || len(d.Logs) != jstrace.MaxSpanLogs || d.DroppedLogs != 3 || d.CutValues != 1 {
		t.Fatalf("tags %d (dropped %d), logs %d (dropped %d), cut %d", len(d.Tags), d.DroppedTags, len(d.Logs), d.DroppedLogs, d.CutValues)
	}
	if v, ok := d.Tags[0].Value.(string); !ok || len(v) > jstrace.MaxValueLen {
		t.Errorf("cyclic tag: %T %.100v", d.Tags[0].Value, d.Tags[0].Value)
	}
}

func TestSpanNil(t *testing.T) {
	var s *jstrace.Span // every method is safe on nil
	s.End()
	s.SetError(errors.New("x"))
	s.SetTag("k", 1)
	s.Log("m")
	s.SetName("n")
	if s.TraceID().IsValid() || s.SpanID().IsValid() || s.IsSampled() || s.IsRecording() || s.Name() != "" {
		t.Fatal("a nil span has values")
	}
	if jstrace.SpanFromContext(context.Background()) != nil || jstrace.SpanFromContext(nil) != nil { //nolint:staticcheck
		t.Fatal("a span in an empty context")
	}
}

func TestSpanProbes(t *testing.T) {
	setTracing(t, jstrace.TracingOptions{Service: "svc", Sampler: jstrace.NeverSample()})
	spans := recordSpans(t)
	var mu sync.Mutex
	var events []string
	stop, err := jstrace.On("span:*,spantest:*", func(e jstrace.Event) {
		kv, _ := e.Args()
		mu.Lock()
		events = append(events, e.Name()+" "+fmt.Sprint(kv))
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ctx := jstrace.WithRequestID(context.Background(), "r1")
	ctx, root := jstrace.StartSpan(ctx, "root")
	cctx, child := jstrace.StartSpan(ctx, "child", "k", "v")
	jstrace.TraceContext(cctx, "spantest:inside", "n", 1)
	child.SetError(errors.New("bad"))
	child.End()
	root.End()
	stop()
	if len(spans()) != 0 {
		t.Error("an unsampled trace was recorded")
	}
	tr, rs, cs := root.TraceID().String(), root.SpanID().String(), child.SpanID().String()
	want := []string{
		"span:start [request_id r1 trace_id " + tr + " span_id " + rs + " parent_id  service svc operation root]",
		"span:start [request_id r1 trace_id " + tr + " span_id " + cs + " parent_id " + rs + " service svc operation child k v]",
		"spantest:inside [request_id r1 trace_id " + tr + " span_id " + cs + " n 1]",
		"span:end [request_id r1 trace_id " + tr + " span_id " + cs + " parent_id " + rs + " service svc operation child duration DUR error bad]",
		"span:end [request_id r1 trace_id " + tr + " span_id " + rs + " parent_id  service svc operation root duration DUR]",
	}
	dur := regexp.MustCompile(`duration [0-9.]+[µnm]?s`)
	for i := range events {
		events[i] = dur.ReplaceAllString(events[i], "duration DUR")
	}
	if strings.Join(events, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events\n%s\nwant\n%s", strings.Join(events, "\n"), strings.Join(want, "\n"))
	}
}

func TestSpanConcurrent(t *testing.T) {
	spans := recordSpans(t)
	_, s := jstrace.StartSpan(context.Background(), "op")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				s.SetTag(fmt.Sprint("g", i), j)
				s.Log("l")
				if j == 50 && i == 0 {
					s.End()
				}
			}
		}(i)
	}
	wg.Wait()
	s.End()
	if n := len(spans()); n != 1 {
		t.Fatalf("%d spans", n)
	}
}

func TestSpanSinkPanics(t *testing.T) {
	calls := 0
	stop := jstrace.OnSpanEnd(func(*jstrace.SpanData) { calls++; panic("exporter bug") })
	defer stop()
	for i := 0; i < 3; i++ {
		_, s := jstrace.StartSpan(context.Background(), "op")
		s.End() // must not panic
	}
	if calls != 1 {
		t.Fatalf("a panicking exporter was called %d times, want once then removed", calls)
	}
}

func TestParseIDs(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"4bf92f3577b34da6a3ce929d0e0e4736", true},
		{"4BF92F3577B34DA6A3CE929D0E0E4736", true},
		{"00000000000000000000000000000000", false},
		{"4bf92f3577b34da6a3ce929d0e0e473", false},
		{"4bf92f3577b34da6a3ce929d0e0e47366", false},
		{"4bf92f3577b34da6a3ce929d0e0e473g", false},
		{"", false},
	} {
		id, err := jstrace.ParseTraceID(tc.in)
		if (err == nil) != tc.ok || (tc.ok && id.String() != strings.ToLower(tc.in)) {
			t.Errorf("ParseTraceID(%q) = %v, %v", tc.in, id, err)
		}
		if err != nil && strings.Contains(err.Error(), tc.in) && tc.in != "" {
			t.Errorf("the error quotes the input: %v", err)
		}
	}
	if _, err := jstrace.ParseSpanID("00f067aa0ba902b7"); err != nil {
		t.Error(err)
	}
	if _, err := jstrace.ParseSpanID("0000000000000000"); err == nil {
		t.Error("zero span ID accepted")
	}
}

// A span's tags and logs hold at most MaxSpanBytes: past it, they are
// dropped and counted, whatever the counts allow.
func TestSpanBytes(t *testing.T) {
	spans := recordSpans(t)
	_, s := jstrace.StartSpan(context.Background(), "op")
	big := strings.Repeat("x", jstrace.MaxValueLen)
	for i := 0; i < 10; i++ {
		s.SetTag(fmt.Sprint("t", i), big)
		s.Log(big, "f", big)
	}
	s.SetTag("small", 1)
	s.End()
	d := spans()[0]
	if d.Size() > jstrace.MaxSpanBytes+1024 {
		t.Errorf("span holds %d bytes, MaxSpanBytes is %d", d.Size(), jstrace.MaxSpanBytes)
	}
	if len(d.Tags)+len(d.Logs) == 0 || d.DroppedTags == 0 || d.DroppedLogs == 0 {
		t.Errorf("kept %d tags, %d logs; dropped %d tags, %d logs", len(d.Tags), len(d.Logs), d.DroppedTags, d.DroppedLogs)
	}
	if d.Tags[len(d.Tags)-1].Key != "small" {
		t.Errorf("a small tag after the budget was reached was refused too: %v", d.Tags[len(d.Tags)-1].Key)
	}
}
