package collector

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/tracestore"
)

func spans(n int) []tracestore.Span {
	var ss []tracestore.Span
	for i := range n {
		ss = append(ss, span(fmt.Sprintf("%032x", i/3+1), fmt.Sprintf("%016x", i+1), ""))
	}
	return ss
}

func closeWriter(t *testing.T, w *Writer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
}

func TestWriterStoresAll(t *testing.T) {
	st := newMemStore()
	w := NewWriter(st, WriterOptions{BatchSize: 7, Interval: time.Hour})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ss := spans(100)
			for i := range ss {
				ss[i].SpanID = fmt.Sprintf("%08x%08x", g+1, i+1)
			}
			if n := w.Add(ss); n != 100 {
				t.Errorf("queued %d of 100", n)
			}
		}()
	}
	wg.Wait()
	w.Add(spans(100)[:3]) // the same spans twice: kept once
	w.Add(spans(100)[:3])
	closeWriter(t, w)
	if n := st.count(); n != 403 {
		t.Errorf("stored %d spans, want 403", n)
	}
	s := w.Stats()
	if s.Stored != 406 || s.Queued != 406 || s.Dropped != 0 || s.Pending != 0 {
		t.Errorf("stats %+v", s)
	}
	if st.puts < 406/7 {
		t.Errorf("%d puts for 406 spans in batches of 7", st.puts)
	}
}

func TestWriterBounds(t *testing.T) {
	t.Run("spans", func(t *testing.T) {
		st := newMemStore()
		st.block = make(chan struct{})
		w := NewWriter(st, WriterOptions{QueueSpans: 10, BatchSize: 10, Interval: time.Hour})
		if n := w.Add(spans(25)); n != 10 {
			t.Errorf("queued %d, want 10 (the queue's bound)", n)
		}
		if d := w.Stats().Dropped; d != 15 {
			t.Errorf("dropped %d, want 15", d)
		}
		close(st.block)
		closeWriter(t, w)
		if st.count() != 10 {
			t.Errorf("stored %d, want 10", st.count())
		}
	})
	t.Run("bytes", func(t *testing.T) {
		st := newMemStore()
		big := spans(3)
		for i := range big {
			big[i].Tags = []tracestore.Tag{{Key: "k", Value: string(make([]byte, 4000))}}
		}
		w := NewWriter(st, WriterOptions{QueueBytes: 9000, Interval: time.Hour})
		if n := w.Add(big); n != 2 {
			t.Errorf("queued %d spans of 4 KB in 9000 bytes, want 2", n)
		}
		closeWriter(t, w)
	})
}

func TestWriterRetriesStore(t *testing.T) {
	st := newMemStore()
	st.fail = 3
	var mu sync.Mutex
	var errs []error
	w := NewWriter(st, WriterOptions{Interval: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		OnError: func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() }})
	w.Add(spans(5))
	closeWriter(t, w)
	if st.count() != 5 {
		t.Errorf("stored %d after the store came back, want 5", st.count())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(errs) != 3 || !errors.Is(errs[0], errDown) || w.Stats().Failures != 3 {
		t.Errorf("reported %v, failures %d; want the 3 failures", errs, w.Stats().Failures)
	}
}

func TestWriterInvalidForStore(t *testing.T) {
	st := newMemStore()
	ss := spans(5)
	ss[2].Service = "invalid-for-store" // memStore refuses the batch
	w := NewWriter(st, WriterOptions{Interval: 5 * time.Millisecond})
	w.Add(ss)
	closeWriter(t, w)
	s := w.Stats()
	if st.count() != 4 || s.Rejected != 1 || s.Reasons[ReasonStoreInvalid] != 1 || s.Stored != 4 {
		t.Errorf("stored %d, stats %+v; want 4 stored, 1 rejected by the store", st.count(), s)
	}
}

// Close gives up on a store that never answers when its context ends:
// the spans left are counted as dropped, and the goroutine returns.
func TestWriterCloseGivesUp(t *testing.T) {
	st := newMemStore()
	st.block = make(chan struct{}) // never closed
	w := NewWriter(st, WriterOptions{Interval: time.Millisecond, BatchSize: 2})
	w.Add(spans(5))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := w.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("close: %v, want the deadline", err)
	}
	if s := w.Stats(); s.Dropped != 5 || s.Stored != 0 {
		t.Errorf("stats %+v, want 5 dropped", s)
	}
	if n := w.Add(spans(1)); n != 0 {
		t.Errorf("a closed writer queued %d", n)
	}
}
