package export

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jstrace-go/jstrace"
)

// Options configure a [Pipeline]. The zero value works, and exports
// nowhere: give it Exporters.
type Options struct {
	// Exporters receive the process's sampled spans, each through its own
	// queue and goroutine, so that a slow one never holds up another.
	// List each exporter once: each is called from one goroutine.
	// Default: none: Start then registers nothing, and spans do not record.
	Exporters []Exporter
	// QueueSize bounds the spans waiting for each exporter; a span ending
	// while its exporter's queue is full is dropped and counted. Default:
	// 2048.
	QueueSize int
	// QueueBytes bounds the memory the spans waiting for each exporter
	// hold, as jstrace.SpanData.Size estimates it; a span that would pass
	// it is dropped and counted, as when the queue is full. Default:
	// 16 MiB (with QueueSize's default, 8 KiB a span on average; a span
	// holds at most jstrace.MaxSpanBytes of tags and logs).
	QueueBytes int
	// BatchSize bounds the spans of one ExportSpans call; a queue holding
	// this many is exported at once, without waiting for Interval.
	// Default: 512.
	BatchSize int
	// Interval is how long a span may wait in a queue before its batch is
	// exported, and how often drops and failures are logged at most.
	// Default: 1s.
	Interval time.Duration
	// Timeout bounds each ExportSpans call: the deadline of its context.
	// Default: 10s.
	Timeout time.Duration
	// Logger receives the pipeline's warnings, with constant messages and
	// component=jstrace: spans dropped (queue full), exports failed or
	// panicked, at most one of each kind per exporter per Interval.
	// Default: slog.Default().
	Logger *slog.Logger
}

func (o Options) resolve() Options {
	o.QueueSize = cmp.Or(max(o.QueueSize, 0), 2048)
	o.QueueBytes = cmp.Or(max(o.QueueBytes, 0), 16<<20)
	o.BatchSize = min(cmp.Or(max(o.BatchSize, 0), 512), o.QueueSize)
	o.Interval = cmp.Or(max(o.Interval, 0), time.Second)
	o.Timeout = cmp.Or(max(o.Timeout, 0), 10*time.Second)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// A Pipeline hands the process's sampled spans to exporters, in batches,
// from one goroutine per exporter (see [Start]). Its methods are safe for
// concurrent use.
type Pipeline struct {
	workers []*worker
	stop    func() // unregisters from jstrace.OnSpanEnd

	base     context.Context // of every export call; cancelled when Shutdown gives up
	cancel   context.CancelFunc
	stopping chan struct{} // closed when Shutdown begins
	done     chan struct{} // closed once every worker has returned
	once     sync.Once
	wg       sync.WaitGroup

	mu   sync.Mutex
	errs []error // of the exporters' Shutdown
}

// Stats count spans, summed over a pipeline's exporters: a span exported
// by two exporters counts twice.
type Stats struct {
	// Exported counts spans in ExportSpans calls that returned nil.
	Exported uint64
	// Dropped counts spans refused because an exporter's queue was full,
	// still queued when Shutdown's context ended, or dropped by an
	// exporter within its own bounds (a DroppedError).
	Dropped uint64
	// Failed counts spans in ExportSpans calls that returned an error,
	// timed out or panicked.
	Failed uint64
	// Queued is the spans waiting now.
	Queued int
}

// Start starts a pipeline of o.Exporters: from now on, every sampled span
// that ends is queued for each of them (see [jstrace.OnSpanEnd]) and
// exported in batches. It never blocks the span's goroutine. Call
// [Pipeline.Shutdown] to flush and stop it.
//
// With no exporters, Start returns a pipeline that does nothing, so spans
// keep their unrecorded cost. It returns an error if an exporter is nil.
func Start(o Options) (*Pipeline, error) {
	o = o.resolve()
	p := &Pipeline{stopping: make(chan struct{}), done: make(chan struct{})}
	p.base, p.cancel = context.WithCancel(context.Background())
	log := o.Logger.With("component", "jstrace")
	for i, e := range o.Exporters {
		if e == nil {
			p.cancel()
			return nil, fmt.Errorf("export: Start: exporter %d is nil", i)
		}
		p.workers = append(p.workers, newWorker(e, o, log))
	}
	if len(p.workers) == 0 {
		p.stop = func() {}
		close(p.done)
		return p, nil
	}
	p.wg.Add(len(p.workers))
	for _, w := range p.workers {
		go w.run(p)
	}
	go p.monitor(o.Interval)
	ws := p.workers
	sink := func(d *jstrace.SpanData) {
		// One reference per queue, the sink's own for the first, the others
		// all taken before any queue may release its own: d stays whole
		// until the last exporter is done with it.
		for range ws[1:] {
			d.Retain()
		}
		for _, w := range ws {
			w.enqueue(d)
		}
	}
	if borrowAll(o.Exporters) {
		p.stop = jstrace.OnSpanEndLoan(sink)
	} else {
		p.stop = jstrace.OnSpanEnd(sink)
	}
	return p, nil
}

// borrowAll reports whether every exporter is a Borrower.
func borrowAll(es []Exporter) bool {
	for _, e := range es {
		if _, ok := e.(Borrower); !ok {
			return false
		}
	}
	return true
}

// monitor logs drops once per interval, until the workers have returned
// or Shutdown gave up; then it closes done.
func (p *Pipeline) monitor(interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	workersDone := make(chan struct{})
	go func() {
		p.wg.Wait()
		close(workersDone)
	}()
	for {
		select {
		case <-t.C:
		case <-workersDone:
			p.reportDrops()
			close(p.done)
			return
		}
		p.reportDrops()
	}
}

func (p *Pipeline) reportDrops() {
	for _, w := range p.workers {
		w.reportDrops()
	}
}

// Shutdown stops the pipeline: spans ending from now on are no longer
// queued; each exporter is handed what its queue holds, then shut down.
// It returns once every exporter's goroutine has, with the errors of the
// exporters' Shutdown.
//
// If ctx is done first, Shutdown returns its error at once: the calls
// under way see their context cancelled, the spans still queued are
// dropped and counted. An exporter that ignores its context keeps its
// goroutine until its call returns, but never blocks Shutdown past ctx.
// Shutdown may be called more than once, and concurrently.
func (p *Pipeline) Shutdown(ctx context.Context) error {
	p.once.Do(func() {
		p.stop()
		close(p.stopping)
	})
	select {
	case <-p.done:
	case <-ctx.Done():
		select {
		case <-p.done:
		default:
			p.cancel()
			return fmt.Errorf("export: shutdown: %w", ctx.Err())
		}
	}
	p.cancel()
	p.mu.Lock()
	defer p.mu.Unlock()
	return errors.Join(p.errs...)
}

// Stats returns the pipeline's counts so far.
func (p *Pipeline) Stats() Stats {
	var s Stats
	for _, w := range p.workers {
		s.Exported += w.exported.Load()
		s.Dropped += w.dropped.Load()
		s.Failed += w.failed.Load()
		s.Dropped += w.refused.Load()
		s.Queued += w.len()
	}
	return s
}

func (p *Pipeline) shutdownError(err error) {
	p.mu.Lock()
	p.errs = append(p.errs, err)
	p.mu.Unlock()
}
