package tracestore

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is an Options.Now tests move.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// rows counts the rows of each table.
func rows(t *testing.T, s *fileStore) (spans, traces, keys int) {
	t.Helper()
	for _, c := range []struct {
		table string
		n     *int
	}{{"spans", &spans}, {"traces", &traces}, {"trace_keys", &keys}} {
		if err := s.db.QueryRow("SELECT count(*) FROM " + c.table).Scan(c.n); err != nil {
			t.Fatal(err)
		}
	}
	return
}

// testTrace is trace n: a root and children-1 children, each of its own
// service and operation.
func testTrace(n, children int, start time.Time) []Span {
	id := fmt.Sprintf("%032x", n+1)
	spans := make([]Span, children)
	for i := range spans {
		spans[i] = Span{TraceID: id, SpanID: fmt.Sprintf("%016x", i+1), Service: fmt.Sprint("svc", i%5),
			Operation: fmt.Sprint("op", i), Start: start, Duration: time.Millisecond}
		if i > 0 {
			spans[i].ParentID = spans[0].SpanID
		}
	}
	return spans
}

// TestFileSweep checks that expired traces are deleted, spans, keys and
// summaries, a bounded number of spans a Put, and live ones kept.
func TestFileSweep(t *testing.T) {
	clock := &testClock{now: time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)}
	st, err := openFile(context.Background(), filepath.Join(t.TempDir(), "t.db"), Options{Retention: time.Hour, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	s := st.(*fileStore)
	defer s.Close()
	ctx := context.Background()
	put := func(spans []Span) {
		t.Helper()
		if err := s.Put(ctx, spans); err != nil {
			t.Fatal(err)
		}
	}
	// 3 old traces of 1,000 spans, one of 3,000 (more than a sweep's
	// budget), then a live one.
	for n := range 3 {
		put(testTrace(n, 1000, clock.now))
	}
	put(testTrace(3, 3000, clock.now))
	clock.advance(2 * time.Hour)
	put(testTrace(10, 10, clock.now))
	spans, traces, _ := rows(t, s)
	if spans != 6010-sweepBudget || traces != 4 { // the first emptied, the second begun
		t.Fatalf("after one sweep: %d spans, %d traces; want %d, 4", spans, traces, 6010-sweepBudget)
	}
	for i := 0; i < 10; i++ {
		put(testTrace(10, 10, clock.now)) // nothing new: sweeps on
	}
	spans, traces, keys := rows(t, s)
	if spans != 10 || traces != 1 || keys != 15 {
		t.Fatalf("after the sweeps: %d spans, %d traces, %d keys; want 10, 1, 15", spans, traces, keys)
	}
	if _, err := s.Trace(ctx, testTrace(10, 1, clock.now)[0].TraceID); err != nil {
		t.Fatalf("live trace: %v", err)
	}
}

// TestFileExpiredTraceReput checks that a span put into an expired trace
// starts it anew: the expired spans, keys and counts are gone.
func TestFileExpiredTraceReput(t *testing.T) {
	clock := &testClock{now: time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)}
	st, err := openFile(context.Background(), filepath.Join(t.TempDir(), "t.db"), Options{Retention: time.Hour, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	s := st.(*fileStore)
	defer s.Close()
	ctx := context.Background()
	old := testTrace(0, 5000, clock.now) // more than a sweep deletes
	if err := s.Put(ctx, old); err != nil {
		t.Fatal(err)
	}
	clock.advance(2 * time.Hour)
	if err := s.Put(ctx, old[4999:]); err != nil {
		t.Fatal(err)
	}
	spans, traces, keys := rows(t, s)
	if spans != 1 || traces != 1 || keys != 2 {
		t.Fatalf("%d spans, %d traces, %d keys; want 1, 1, 2", spans, traces, keys)
	}
	sums, err := s.Recent(ctx, Query{})
	if err != nil || len(sums) != 1 || sums[0].Spans != 1 || sums[0].Root {
		t.Fatalf("Recent = %+v, %v; want one trace of 1 span without its root", sums, err)
	}
}

// TestFileNewerLayout checks that a store refuses a file a newer jstrace
// laid out differently.
func TestFileNewerLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	st, err := openFile(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.(*fileStore).db.Exec(fmt.Sprintf("PRAGMA user_version = %d", schemaVersion+1)); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, err = openFile(context.Background(), path, Options{})
	if err == nil {
		st.Close()
		t.Fatal("opened a newer layout")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Fatalf("error %q does not say the layout is newer", err)
	}
}

// TestFileWritersRetention checks that a trace's retention is its
// writer's: a reader opened with the default keeps showing what a
// collector with a longer retention keeps, and nothing after.
func TestFileWritersRetention(t *testing.T) {
	clock := &testClock{now: time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)}
	path := filepath.Join(t.TempDir(), "t.db")
	ctx := context.Background()
	w, err := openFile(ctx, path, Options{Retention: 48 * time.Hour, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r, err := openFile(ctx, path, Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tr := testTrace(1, 2, clock.now)
	if err := w.Put(ctx, tr); err != nil {
		t.Fatal(err)
	}
	clock.advance(30 * time.Hour)
	if _, err := r.Trace(ctx, tr[0].TraceID); err != nil {
		t.Fatalf("after 30 h of a 48 h retention: %v", err)
	}
	clock.advance(19 * time.Hour)
	if _, err := r.Trace(ctx, tr[0].TraceID); err == nil {
		t.Fatal("after 49 h of a 48 h retention: still there")
	}
}
