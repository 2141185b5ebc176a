package export

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jstrace-go/jstrace"
)

// A worker is one exporter's queue and the goroutine that empties it.
type worker struct {
	exp  Exporter
	name string // for the log: the exporter's type
	opts Options
	log  *slog.Logger

	mu     sync.Mutex
	queue  []*jstrace.SpanData // appended by enqueue, at most opts.QueueSize
	bytes  int                 // what queue holds, by SpanData.Size: at most opts.QueueBytes
	spare  []*jstrace.SpanData // the last batch's slice, for the next queue
	kick   chan struct{}       // a full batch is waiting
	closed bool                // the worker has flushed for good: enqueue drops

	exported, dropped, failed atomic.Uint64
	refused                   atomic.Uint64 // spans the exporter dropped itself (a DroppedError)
	refusedWhy                atomic.Pointer[string]

	// Owned by the worker's goroutine: failures not yet logged.
	lastFailReport time.Time
	failures       int // export calls failed since the last report
	lastErr        error
	panicked       bool

	reported, refusedReported uint64 // drops logged so far; owned by the monitor

}

func newWorker(e Exporter, o Options, log *slog.Logger) *worker {
	return &worker{exp: e, name: fmt.Sprintf("%T", e), opts: o, log: log, kick: make(chan struct{}, 1)}
}

// enqueue queues d, or drops it if the queue is full. It runs on the
// goroutine ending the span: a lock held for an append, never a wait. It
// takes over a reference the caller holds for this queue (the sink's own
// for the first queue, one it retained for each other): released once
// exported (release), or at once if dropped.
func (w *worker) enqueue(d *jstrace.SpanData) {
	size := d.Size()
	w.mu.Lock()
	n := len(w.queue)
	if n >= w.opts.QueueSize || w.bytes+size > w.opts.QueueBytes || w.closed {
		w.mu.Unlock()
		w.dropped.Add(1)
		d.Release()
		return
	}
	w.queue = append(w.queue, d)
	w.bytes += size
	w.mu.Unlock()
	if n+1 == w.opts.BatchSize {
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
}

func (w *worker) len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.queue)
}

// take empties the queue, returning what it held.
func (w *worker) take() []*jstrace.SpanData {
	w.mu.Lock()
	defer w.mu.Unlock()
	q := w.queue
	w.queue, w.spare = w.spare, nil
	w.bytes = 0
	return q
}

// close empties the queue for good, returning how many it held: spans a
// sink delivers after Shutdown are then dropped and counted, not queued
// where nobody reads them.
func (w *worker) close() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(w.queue)
	release(w.queue)
	w.queue, w.bytes, w.closed = nil, 0, true
	return n
}

// give hands back a batch's slice once its spans are exported or
// dropped, releasing them.
func (w *worker) give(q []*jstrace.SpanData) {
	release(q)
	clear(q)
	w.mu.Lock()
	w.spare = q[:0]
	w.mu.Unlock()
}

// release ends the queue's hold on spans (see jstrace.OnSpanEndLoan).
func release(q []*jstrace.SpanData) {
	for _, d := range q {
		d.Release()
	}
}

// ticker is what the console exporter implements to print the traces
// it has waited for too long, even while no span comes.
type ticker interface{ tick(now time.Time) }

func (w *worker) run(p *Pipeline) {
	defer p.wg.Done()
	t := time.NewTicker(w.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if tk, ok := w.exp.(ticker); ok {
				tk.tick(time.Now())
			}
		case <-w.kick:
		case <-p.stopping:
			w.flush(p.base)
			w.reportFailures(true)
			if err := w.shutdown(p.base); err != nil {
				p.shutdownError(err)
			}
			return
		}
		w.exportQueued(p.base)
		w.reportFailures(false)
	}
}

// exportQueued exports what the queue holds, in batches.
func (w *worker) exportQueued(base context.Context) {
	q := w.take()
	for i := 0; i < len(q); i += w.opts.BatchSize {
		if base.Err() != nil {
			w.dropped.Add(uint64(len(q) - i))
			break
		}
		w.export(base, q[i:min(i+w.opts.BatchSize, len(q))])
	}
	w.give(q)
}

// flush exports until the queue is empty (spans may still arrive from
// goroutines that were ending spans as Shutdown began), or base ends.
func (w *worker) flush(base context.Context) {
	for w.len() > 0 && base.Err() == nil {
		w.exportQueued(base)
	}
	w.dropped.Add(uint64(w.close()))
}

func (w *worker) export(base context.Context, batch []*jstrace.SpanData) {
	ctx, cancel := context.WithTimeout(base, w.opts.Timeout)
	defer cancel()
	err := w.call(func() error { return w.exp.ExportSpans(ctx, batch) })
	if err == nil {
		err = ctx.Err() // an exporter that returned nil past its deadline
	}
	var de *DroppedError
	if errors.As(err, &de) && de.Spans <= len(batch) {
		w.refused.Add(uint64(de.Spans))
		w.refusedWhy.Store(&de.Reason)
		w.exported.Add(uint64(len(batch) - de.Spans))
		return
	}
	if err != nil {
		w.failed.Add(uint64(len(batch)))
		w.failures++
		w.lastErr = err
		return
	}
	w.exported.Add(uint64(len(batch)))
}

func (w *worker) shutdown(ctx context.Context) error {
	err := w.call(func() error { return w.exp.Shutdown(ctx) })
	if err != nil {
		return fmt.Errorf("export: %s: shutdown: %w", w.name, err)
	}
	return nil
}

var errPanic = errors.New("exporter panicked")

// call runs an exporter's method; a panic is an error, never the
// service's end.
func (w *worker) call(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			w.panicked = true
			err = errPanic
		}
	}()
	return f()
}

// reportFailures logs the failed exports since the last report, at most
// once per Interval (unless final).
func (w *worker) reportFailures(final bool) {
	now := time.Now()
	if w.failures == 0 || !final && now.Sub(w.lastFailReport) < w.opts.Interval {
		return
	}
	msg := "span export failed"
	if w.panicked {
		msg = "span exporter panicked"
	}
	w.log.Warn(msg, "exporter", w.name, "calls", w.failures,
		"failed_total", w.failed.Load(), "err", w.lastErr)
	w.failures, w.lastErr, w.panicked = 0, nil, false
	w.lastFailReport = now
}

// reportDrops logs the spans dropped since the last report. It runs on
// the pipeline's monitor goroutine, not the worker's: a stuck exporter's
// drops are the ones to report.
func (w *worker) reportDrops() {
	d := w.dropped.Load()
	if d > w.reported {
		w.log.Warn("span export queue full", "exporter", w.name,
			"dropped", d-w.reported, "dropped_total", d, "queue_size", w.opts.QueueSize)
		w.reported = d
	}
	if r := w.refused.Load(); r > w.refusedReported {
		why := ""
		if p := w.refusedWhy.Load(); p != nil {
			why = *p
		}
		w.log.Warn("spans dropped by exporter", "exporter", w.name,
			"dropped", r-w.refusedReported, "dropped_total", r, "reason", why)
		w.refusedReported = r
	}
}
