package collector

import (
	"cmp"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jstrace-go/jstrace/internal/tracestore"
)

// WriterOptions configure a [Writer]. The zero value works. It is a plain
// value, read once by NewWriter.
type WriterOptions struct {
	// QueueSpans bounds the spans waiting for the store; spans added while
	// it is full are dropped and counted. Default: 65536.
	QueueSpans int
	// QueueBytes bounds the memory those spans hold, as spanSize estimates
	// it; a span that would pass it is dropped and counted. Default:
	// 64 MiB.
	QueueBytes int
	// BatchSize bounds the spans of one Store.Put. Default: 1000.
	BatchSize int
	// Interval is how long a span may wait for its batch to fill before it
	// is put. Default: 200ms.
	Interval time.Duration
	// PutTimeout bounds one Store.Put. Default: 10s.
	PutTimeout time.Duration
	// MaxBackoff bounds the wait between retries of a Put that failed
	// (the store unreachable): waits double from 100ms up to it. Default:
	// 5s.
	MaxBackoff time.Duration
	// OnError, if set, is called from the Writer's goroutine with each
	// failure of the store (a Put that will be retried), at most once per
	// retry. Its error never holds a password (the stores redact). Default:
	// none.
	OnError func(error)
}

func (o WriterOptions) resolve() WriterOptions {
	o.QueueSpans = cmp.Or(max(o.QueueSpans, 0), 65536)
	o.QueueBytes = cmp.Or(max(o.QueueBytes, 0), 64<<20)
	o.BatchSize = min(cmp.Or(max(o.BatchSize, 0), 1000), o.QueueSpans)
	o.Interval = cmp.Or(max(o.Interval, 0), 200*time.Millisecond)
	o.PutTimeout = cmp.Or(max(o.PutTimeout, 0), 10*time.Second)
	o.MaxBackoff = cmp.Or(max(o.MaxBackoff, 0), 5*time.Second)
	return o
}

// Stats are a Writer's counters since it started: a copy, the caller's
// own.
type Stats struct {
	Queued   uint64 // spans added and queued
	Stored   uint64 // spans the store took (Put returned nil)
	Rejected uint64 // spans refused: by a decoder (see Reject) or the store as invalid
	Dropped  uint64 // spans dropped: queue full, or still queued when Close gave up
	Failures uint64 // Puts that failed and were retried
	// Refused counts requests refused whole (see Refuse): a body too
	// large, without a header, or not protobuf.
	Refused uint64
	// Traces counts the distinct traces of the spans stored, per batch:
	// a trace whose spans come in two batches counts twice.
	Traces uint64
	// Pending is how many spans wait for the store now, the batch being
	// put included.
	Pending int
	// Reasons counts the rejected spans by reason.
	Reasons map[string]uint64
}

// A Writer queues spans for a store and puts them in batches from one
// goroutine of its own. Add never blocks on the store: a full queue
// drops and counts. A store that fails is retried with back-off, the
// batch kept, while the queue fills (and then drops). Its methods are
// safe for concurrent use.
type Writer struct {
	store tracestore.Store
	o     WriterOptions

	mu      sync.Mutex
	queue   []tracestore.Span
	bytes   int
	putting int // spans of the batch being put
	closed  bool
	stats   Stats
	wake    chan struct{} // a batch is full, or Close
	stop    chan struct{} // closed by Close: flush and return
	done    chan struct{} // closed when the goroutine returns
	abandon context.CancelFunc
	ctx     context.Context
}

// NewWriter starts a Writer into store. Close it to flush.
func NewWriter(store tracestore.Store, o WriterOptions) *Writer {
	ctx, cancel := context.WithCancel(context.Background())
	w := &Writer{
		store: store, o: o.resolve(),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		ctx: ctx, abandon: cancel,
	}
	w.stats.Reasons = map[string]uint64{}
	go w.run()
	return w
}

// Add queues spans (which must be valid: from a decoder of this
// package, or checked with Check) and returns how many it queued; the
// others are dropped and counted.
func (w *Writer) Add(spans []tracestore.Span) int {
	w.mu.Lock()
	n := 0
	for i := range spans {
		size := spanSize(&spans[i])
		if w.closed || len(w.queue) >= w.o.QueueSpans || w.bytes+size > w.o.QueueBytes {
			w.stats.Dropped++
			continue
		}
		w.queue = append(w.queue, spans[i])
		w.bytes += size
		n++
	}
	w.stats.Queued += uint64(n)
	full := len(w.queue) >= w.o.BatchSize
	w.mu.Unlock()
	if full {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
	return n
}

// Reject counts n spans refused for reason (a Reason constant) before
// they reached the Writer.
func (w *Writer) Reject(reason string, n int) {
	if n <= 0 {
		return
	}
	w.mu.Lock()
	w.stats.Rejected += uint64(n)
	if _, ok := w.stats.Reasons[reason]; ok || len(w.stats.Reasons) < 64 {
		w.stats.Reasons[reason] += uint64(n)
	}
	w.mu.Unlock()
}

// Refuse counts a request refused whole, whose spans were not counted.
func (w *Writer) Refuse() {
	w.mu.Lock()
	w.stats.Refused++
	w.mu.Unlock()
}

// Stats returns the counters.
func (w *Writer) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.stats
	s.Pending = len(w.queue) + w.putting
	s.Reasons = make(map[string]uint64, len(w.stats.Reasons))
	for k, v := range w.stats.Reasons {
		s.Reasons[k] = v
	}
	return s
}

// Close stops taking spans and puts those queued, until ctx is done: what
// is left then is dropped and counted. It does not close the store.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	already := w.closed
	w.closed = true
	w.mu.Unlock()
	if !already {
		close(w.stop)
	}
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		w.abandon()
		<-w.done
		return ctx.Err()
	}
}

func (w *Writer) run() {
	defer close(w.done)
	tick := time.NewTicker(w.o.Interval)
	defer tick.Stop()
	stopping := false
	for {
		if !stopping {
			select {
			case <-w.wake:
			case <-tick.C:
			case <-w.stop:
				stopping = true
			}
		}
		for {
			batch := w.take()
			if len(batch) == 0 {
				break
			}
			if !w.put(batch) {
				w.drop(len(batch)) // abandoned
			}
			w.mu.Lock()
			w.putting = 0
			w.mu.Unlock()
			if !stopping && len(batch) < w.o.BatchSize {
				break
			}
		}
		if stopping {
			w.mu.Lock()
			w.stats.Dropped += uint64(len(w.queue))
			w.queue, w.bytes = nil, 0
			w.mu.Unlock()
			return
		}
	}
}

// take removes the next batch from the queue.
func (w *Writer) take() []tracestore.Span {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := min(len(w.queue), w.o.BatchSize)
	if n == 0 {
		return nil
	}
	batch := make([]tracestore.Span, n)
	copy(batch, w.queue)
	for i := range batch {
		w.bytes -= spanSize(&batch[i])
	}
	clear(w.queue[:n])    // the store's copy is batch: let the queue's go
	w.queue = w.queue[n:] // not shifted: draining a full queue stays linear
	w.putting = n
	if cap(w.queue) > 4*w.o.BatchSize && len(w.queue) < w.o.BatchSize {
		w.queue = append([]tracestore.Span(nil), w.queue...) // give back a burst's memory
	}
	return batch
}

func (w *Writer) drop(n int) {
	w.mu.Lock()
	w.stats.Dropped += uint64(n)
	w.mu.Unlock()
}

// put stores a batch, retrying with back-off while the store fails; a
// batch the store refuses as invalid is put span by span, the invalid
// ones counted. It returns false if Close gave up first.
func (w *Writer) put(batch []tracestore.Span) bool {
	backoff := 100 * time.Millisecond
	for {
		err := w.putOnce(batch)
		switch {
		case err == nil:
			w.stored(batch)
			return true
		case errors.Is(err, tracestore.ErrInvalid) && len(batch) > 1:
			for i := range batch {
				if !w.put(batch[i : i+1]) {
					return false
				}
			}
			return true
		case errors.Is(err, tracestore.ErrInvalid):
			w.Reject(ReasonStoreInvalid, 1)
			return true
		}
		w.mu.Lock()
		w.stats.Failures++
		w.mu.Unlock()
		if w.o.OnError != nil {
			w.o.OnError(err)
		}
		select {
		case <-w.ctx.Done():
			return false
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, w.o.MaxBackoff)
	}
}

func (w *Writer) putOnce(batch []tracestore.Span) error {
	ctx, cancel := context.WithTimeout(w.ctx, w.o.PutTimeout)
	defer cancel()
	return w.store.Put(ctx, batch)
}

func (w *Writer) stored(batch []tracestore.Span) {
	traces := map[string]struct{}{}
	for i := range batch {
		traces[batch[i].TraceID] = struct{}{}
	}
	w.mu.Lock()
	w.stats.Stored += uint64(len(batch))
	w.stats.Traces += uint64(len(traces))
	w.mu.Unlock()
}

// spanSize estimates the memory a span holds.
func spanSize(s *tracestore.Span) int {
	n := 256 + len(s.TraceID) + len(s.SpanID) + len(s.ParentID) + len(s.Service) + len(s.Operation) +
		len(s.Error) + len(s.ErrorType) + len(s.Host)
	for _, t := range s.Tags {
		n += 32 + len(t.Key) + len(t.Value)
	}
	for _, l := range s.Logs {
		n += 64 + len(l.Message)
		for _, f := range l.Fields {
			n += 32 + len(f.Key) + len(f.Value)
		}
	}
	return n
}

// Check returns why a span must be rejected ("" when it is valid) under
// limits l: for spans that do not come through a decoder of this package.
func Check(s *tracestore.Span, l Limits) string {
	l = l.resolve()
	return check(s, &l)
}
