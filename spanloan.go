package jstrace

import (
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// minLoanTags and maxLoanTags bound the tag slice a pooled SpanData keeps:
// big enough for a typical span, small enough that a pool of them holds
// little.
const (
	minLoanTags = 8
	maxLoanTags = 32
)

// Recycled SpanData travel in chunks: the goroutines releasing spans
// (an exporter's) fill chunks, those starting spans (the service's) empty
// them, and a chunk changes processor once per chunkLen spans. Per span,
// both sides then stay on sync.Pool's fast path (this processor's own
// slot), instead of stealing one span at a time from another
// processor's pool (75 ns a span on the machine of bench/README.md).
// chunkLen is 64 (spanloan_norace.go), but 1 under the race detector,
// whose sync.Pool drops a quarter of what it is given: chunks would never
// fill, nothing would be reused, and races on reused spans never seen.

type spanChunk struct {
	n int
	d [chunkLen]*SpanData
}

var (
	fullChunks sync.Pool // of *spanChunk holding at least one SpanData
	fillChunks sync.Pool // of *spanChunk not full, being filled by recycle
)

// pooledSpanData returns a recycled SpanData, or a new one.
func pooledSpanData() *SpanData {
	v := fullChunks.Get()
	if v == nil {
		return &SpanData{Tags: make([]Field, 0, minLoanTags)}
	}
	c := v.(*spanChunk)
	c.n--
	d := c.d[c.n]
	c.d[c.n] = nil
	if c.n > 0 {
		// The next span's record was last written by an exporter's core:
		// move it here now, not as its first stores are made (prefetchw).
		next := c.d[c.n-1]
		prefetchw(unsafe.Pointer(next), unsafe.Sizeof(*next))
		fullChunks.Put(c)
	} else {
		fillChunks.Put(c)
	}
	d.reset()
	return d
}

// reset empties d for its next span. It runs on the goroutine that
// starts the span, which writes d's memory anyway, not on the exporter's
// that released it: the memory then moves between processors' caches
// once, not twice.
func (d *SpanData) reset() {
	tags := d.Tags
	clear(tags)
	if cap(tags) > maxLoanTags {
		tags = make([]Field, 0, minLoanTags)
	}
	*d = SpanData{Tags: tags[:0]}
}

// OnSpanEndLoan registers fn as [OnSpanEnd] does, for a sink that borrows
// the spans it receives instead of keeping them. fn is handed one
// reference to d of its own: it calls d.Release() once done with d (at
// once, before returning, if it keeps nothing), and d.Retain() for each
// further holder it hands d to, before handing it on. While every
// registered sink borrows, a span's SpanData goes back to a pool after
// its last Release and the next span records into it: a sampled span
// then costs one allocation (its context), not two, and its delivery to
// a sink that queues it no atomic operation of its own. While any sink
// keeps spans, nothing is recycled and Retain and Release do nothing. A
// reference never released (a sink that panicked) only keeps its span
// from being reused.
//
// It is for exporter pipelines (package export's is such a sink when its
// exporters are all export.Borrower), not for code that handles spans: a
// span read after its last Release holds another span's data, or none.
func OnSpanEndLoan(fn func(d *SpanData)) (stop func()) {
	return onSpanEnd(fn, true)
}

// Retain adds a holder of d until a matching Release: see
// [OnSpanEndLoan]. It must be called by a holder of a reference, for
// another.
func (d *SpanData) Retain() {
	if d.loaned {
		atomic.AddInt32(&d.refs, 1)
	}
}

// Release ends a reference: after the last, d may be reused for another
// span, and must not be read.
func (d *SpanData) Release() {
	if d.loaned && atomic.AddInt32(&d.refs, -1) == 0 {
		d.recycle()
	}
}

// loanSpans is whether every registered sink borrows: StartSpan then
// takes its SpanData from the pool.
var loanSpans atomic.Bool

// newSpanData returns the SpanData span s, called name and started at
// start (Unix nanoseconds), records into: from the pool while sinks
// borrow.
func newSpanData(s *Span, name string, start int64, cfg *tracing) *SpanData {
	var d *SpanData
	if loanSpans.Load() {
		d = pooledSpanData()
		d.pooled = true
	} else {
		d = new(SpanData)
	}
	c := s.full()
	d.TraceID, d.SpanID, d.ParentID = c.ids.traceID, c.ids.id, c.parent
	d.RemoteParent = s.flags&spanRemoteParent != 0
	d.TraceState, d.Resource, d.Operation = c.carry.traceState(), cfg.res, name
	d.Start = time.Unix(0, start)
	return d
}

// scratchSpanData returns a record, from the pool, for the name and the
// error of a span that does not record (see spanState); End puts it back.
func scratchSpanData(name string) *SpanData {
	d := pooledSpanData()
	d.Operation = name
	return d
}

// recycle puts d in a chunk for reuse. What d holds stays reachable
// until it is reused, or until the garbage collector empties the pools.
func (d *SpanData) recycle() {
	c, _ := fillChunks.Get().(*spanChunk)
	if c == nil {
		c = new(spanChunk)
	}
	c.d[c.n] = d
	c.n++
	if c.n == chunkLen {
		fullChunks.Put(c)
	} else {
		fillChunks.Put(c)
	}
}
