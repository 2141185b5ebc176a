package export_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/export"
)

// checker is a Borrower that checks, during its call, that each span is
// the one its tags say it is: a span recycled while an exporter still
// had it (a Release too early) holds another span's data, or none.
type checker struct {
	delay    time.Duration
	seen     atomic.Int64
	mu       sync.Mutex
	problems []string
}

func (c *checker) ExportSpans(_ context.Context, spans []*jstrace.SpanData) error {
	for _, d := range spans {
		time.Sleep(c.delay)
		want := d.SpanID.String()
		if len(d.Tags) != 2 || d.Tags[0].Value != want || d.Tags[1].Value != d.Operation || d.Operation == "" {
			c.mu.Lock()
			c.problems = append(c.problems, fmt.Sprintf("span %s: operation %q tags %v", want, d.Operation, d.Tags))
			c.mu.Unlock()
		}
		c.seen.Add(1)
	}
	return nil
}

func (c *checker) Shutdown(context.Context) error { return nil }
func (c *checker) BorrowsSpans()                  {}

// TestBorrowedSpansStayWhole: with two borrowing exporters, one slow,
// spans ended from several goroutines reach both intact, though their
// memory is recycled (run it with -race: a span reused while still
// queued for the slow exporter is a data race as well as a failure).
func TestBorrowedSpansStayWhole(t *testing.T) {
	fast, slow := &checker{}, &checker{delay: 20 * time.Microsecond}
	p := start(t, export.Options{Exporters: []export.Exporter{fast, slow}, Interval: time.Millisecond, BatchSize: 64, QueueSize: 1 << 14})
	const goroutines, each = 4, 1000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				op := fmt.Sprintf("op-%d-%d", g, i)
				_, s := jstrace.StartSpan(context.Background(), op)
				s.SetTag("id", s.SpanID().String())
				s.SetTag("op", op)
				s.End()
			}
		}()
	}
	wg.Wait()
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := p.Stats()
	for name, c := range map[string]*checker{"fast": fast, "slow": slow} {
		if len(c.problems) > 0 {
			t.Errorf("%s exporter saw %d recycled spans, first: %s", name, len(c.problems), c.problems[0])
		}
	}
	if got := fast.seen.Load() + slow.seen.Load() + int64(st.Dropped); got != 2*goroutines*each {
		t.Errorf("exported %d+%d, dropped %d: want %d in all", fast.seen.Load(), slow.seen.Load(), st.Dropped, 2*goroutines*each)
	}
}

// TestLoanOnlyWithBorrowers: a pipeline with one exporter that keeps
// spans does not lend them, even beside a borrower.
func TestLoanOnlyWithBorrowers(t *testing.T) {
	r, c := newRecorder(), &checker{}
	p := start(t, export.Options{Exporters: []export.Exporter{c, r}, Interval: time.Millisecond})
	for i := range 200 {
		op := fmt.Sprint("op-", i)
		_, s := jstrace.StartSpan(context.Background(), op)
		s.SetTag("id", s.SpanID().String())
		s.SetTag("op", op)
		s.End()
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.spans) != 200 {
		t.Fatalf("recorder kept %d spans", len(r.spans))
	}
	for _, d := range r.spans {
		if len(d.Tags) != 2 || d.Tags[0].Value != d.SpanID.String() {
			t.Fatalf("a kept span was recycled: %+v", d)
		}
	}
}
