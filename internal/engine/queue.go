package engine

import (
	"time"

	"github.com/jstrace-go/jstrace/script"
)

// A Batch is traces for the handlers, with the bytes they hold.
type Batch struct {
	Traces []*script.Trace
	Bytes  int
	// Now, with a virtual clock (Options.Clock), is the time the clock
	// moves to after the traces: an empty batch with Now lets time pass
	// where no trace did. Ignored on the wall clock, and if zero.
	Now time.Time

	delivered chan struct{} // Flush's: closed once the batch is delivered
}

// traceOverhead is what a Trace costs besides its record bytes.
const traceOverhead = 160

func (b Batch) size() int64 { return int64(b.Bytes + len(b.Traces)*traceOverhead) }

// Dispatch queues traces for the handlers. A batch fits while the traces
// waiting stay under MaxPending and MaxPendingBytes (an empty queue takes
// any batch). Unless the engine blocks, a batch that does not fit is
// dropped and counted.
func (e *Engine) Dispatch(b Batch) error {
	if e.stopped() {
		return ErrStopped
	}
	n, size := int64(len(b.Traces)), b.size()
	for !e.fits(n, size) {
		if !e.block {
			e.dropped.Add(uint64(n))
			return nil
		}
		select {
		case <-e.room:
		case <-e.quit:
			return ErrStopped
		}
	}
	bp := new(Batch) // one allocation a batch queued, a pump's pass at most
	*bp = b
	if e.block {
		select {
		case e.events <- bp:
		case <-e.quit:
			return ErrStopped
		}
	} else {
		select {
		case e.events <- bp:
		default:
			e.dropped.Add(uint64(n))
			return nil
		}
	}
	e.pending.Add(n)
	e.bytes.Add(size)
	return nil
}

func (e *Engine) fits(n, size int64) bool {
	p := e.pending.Load()
	return p <= 0 || (p+n <= e.maxTr && e.bytes.Load()+size <= e.maxBytes)
}

// Flush waits until the batches dispatched before it have been delivered,
// or the engine has stopped (then it returns ErrStopped). With a blocking
// engine (Options.Block) it thereby runs one feeder in step with the
// script: what the handlers emitted for those batches has been emitted.
func (e *Engine) Flush() error {
	b := Batch{delivered: make(chan struct{})}
	if err := e.Dispatch(b); err != nil {
		return err
	}
	select {
	case <-b.delivered:
		return nil
	case <-e.quit:
		return ErrStopped
	}
}

// done accounts for a batch that left the queue.
func (e *Engine) done(b Batch) {
	if b.delivered != nil {
		close(b.delivered)
	}
	e.pending.Add(-int64(len(b.Traces)))
	e.bytes.Add(-b.size())
	select {
	case e.room <- struct{}{}:
	default:
	}
}

// Pending returns how many traces wait for the handlers.
func (e *Engine) Pending() int64 { return max(e.pending.Load(), 0) }

// Dropped returns how many traces were dropped: by Dispatch for want of
// room, or queued when the engine stopped.
func (e *Engine) Dropped() uint64 { return e.dropped.Load() }
