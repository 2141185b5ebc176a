package jstrace

import (
	"sync"
	"sync/atomic"
	"time"
)

// minLoanTags and maxLoanTags bound the tag slice a pooled SpanData keeps:
// big enough for a typical span, small enough that a pool of them holds
// little.
const (
	minLoanTags = 8
	maxLoanTags = 32
)

var spanDataPool = sync.Pool{New: func() any { return &SpanData{Tags: make([]Field, 0, minLoanTags)} }}

// OnSpanEndLoan registers fn as [OnSpanEnd] does, for a sink that borrows
// the spans it receives instead of keeping them: fn may read a span
// during its call; to read it later, fn calls d.Retain() before
// returning and d.Release() once done, once for each Retain. While every
// registered sink borrows, a span's SpanData goes back to a pool after
// its last Release and the next span records into it: a sampled span
// then costs one allocation (its context), not two. While any sink keeps
// spans, nothing is recycled and Retain and Release do nothing.
//
// It is for exporter pipelines (package export's is such a sink when its
// exporters are all export.Borrower), not for code that handles spans: a
// span read after its last Release holds another span's data, or none.
func OnSpanEndLoan(fn func(d *SpanData)) (stop func()) {
	return onSpanEnd(fn, true)
}

// Retain keeps d from being recycled until a matching Release: see
// [OnSpanEndLoan]. It must be called by a sink during its call, or by a
// holder of an earlier Retain.
func (d *SpanData) Retain() {
	if d.loaned {
		atomic.AddInt32(&d.refs, 1)
	}
}

// Release ends a Retain: after the last, d may be reused for another
// span, and must not be read.
func (d *SpanData) Release() {
	if d.loaned && atomic.AddInt32(&d.refs, -1) == 0 {
		d.recycle()
	}
}

// loanSpans is whether every registered sink borrows: StartSpan then
// takes its SpanData from the pool.
var loanSpans atomic.Bool

// newSpanData returns the SpanData span s records into: from the pool
// while sinks borrow.
func newSpanData(s *Span, cfg *tracing) *SpanData {
	var d *SpanData
	if loanSpans.Load() {
		d = spanDataPool.Get().(*SpanData)
		d.pooled = true
	} else {
		d = new(SpanData)
	}
	d.TraceID, d.SpanID, d.ParentID = s.traceID, s.id, s.parent
	d.RemoteParent = s.flags&spanRemoteParent != 0
	d.TraceState, d.Resource, d.Operation = s.state, cfg.res, s.name
	d.Start = time.Unix(0, s.start)
	return d
}

// recycle empties d, dropping every reference it holds, and pools it.
func (d *SpanData) recycle() {
	tags := d.Tags
	clear(tags)
	if cap(tags) > maxLoanTags {
		tags = make([]Field, 0, minLoanTags)
	}
	*d = SpanData{Tags: tags[:0]}
	spanDataPool.Put(d)
}
