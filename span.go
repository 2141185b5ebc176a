package jstrace

import (
	"context"
	"encoding/binary"
	"runtime"
	"sync/atomic"
	"time"
)

// A Span is one timed operation of a trace: a request a service handles,
// a query it runs, a call it makes. Spans form a tree through contexts: a
// span started with a context that holds a span is its child, in the same
// trace; a span started without one begins a new trace (its root).
//
//	ctx, span := jstrace.StartSpan(ctx, "get data from DB", "table", "users")
//	defer span.End()
//	rows, err := db.QueryContext(ctx, q)
//	if err != nil {
//		span.SetError(err)
//	}
//
// Every span fires the probes "span:start" and "span:end" (see
// [StartSpan]), so `jstrace` scripts see every span, sampled or not. A
// sampled span is also recorded, with its tags, logs and error, and
// handed when it ends to the process's exporters ([OnSpanEnd]; package
// export): whether a trace is sampled is decided once, at its root, by
// [TracingOptions.Sampler], and travels with the trace to other services.
//
// A nil *Span is valid and does nothing: [SpanFromContext] returns nil for
// a context without a span, and its methods may be called without a
// check. A Span is safe for concurrent use; it must not be copied (a
// copy's methods may corrupt memory; go vet reports copies).
type Span struct {
	_ noCopy // go vet's copylocks reports copies: see Span.head
	// flags say whether its trace is sampled and who needs the span, and
	// kind which kind of context holds it (spankinds.go; 0 for a Span not
	// made by StartSpan or Extract); both set once, at its start.
	flags uint8
	kind  spanKind
	// mu guards the spanState of a span that has one, and holds whether it
	// ended. A rootContext's span, which never locks, keeps 32 random bits
	// of its trace ID in its word instead.
	mu spanLock
}

const (
	spanSampled      = 1 << iota // the trace is sampled: record and export
	spanRemoteParent             // this span's parent is remote
	spanRecords                  // its record goes to the exporters (its kind is kindFull)
	spanUpInfo                   // a leanContext's up is a *reqInfo, not a *Span
)

// noCopy makes go vet's copylocks check report copies of what holds
// it; it takes no space.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

// spanState is what a span keeps besides its IDs while anyone needs it:
// it records (sampled, with an exporter running) or a session traced
// the span probes when it started. It follows the IDs in a spanContext;
// a span nobody needs (most, where traces are sampled) keeps no name,
// clock or error (see spankinds.go).
//
// The name and the error are in the record, not here: a spanContext is
// then 80 bytes, not 112 (an allocation's cost grows with its size
// class: bench/README.md, Spans). A span that does not record (traced,
// not sampled) has a record too, from the pool, for its name and error
// alone, and puts it back when it ends.
type spanState struct {
	start int64 // Unix nanoseconds
	// rec is the span's record until End hands it on (spanRecords) or
	// back to the pool, and nil from then on; guarded by the span's mu.
	rec *SpanData
}

// A spanLock is a span's lock and its ended flag in one 4-byte word,
// beside the span's flags. End takes it for good, setting the
// flag in the same compare-and-swap: one locked instruction where a
// mutex's Lock and Unlock were two. The other methods, finding the flag,
// do nothing, or read what no one writes any more. A waiter spins, then
// yields: a span's lock is held for a tag's copy at most, and contended
// only by goroutines sharing one span.
type spanLock struct{ w uint32 } // accessed atomically

const (
	lockHeld  = 1 << iota
	lockEnded // End has run, and holds the lock for good
)

// lock takes l and returns true, or returns false once the span ended.
func (l *spanLock) lock() bool { return l.take(lockHeld) }

func (l *spanLock) unlock() { atomic.StoreUint32(&l.w, 0) }

// end takes l for good, marking the span ended; false if it had ended.
func (l *spanLock) end() bool { return l.take(lockHeld | lockEnded) }

// take sets l to to once it is free, or returns false once the span ended.
func (l *spanLock) take(to uint32) bool {
	for i := 0; ; i++ {
		s := atomic.LoadUint32(&l.w)
		if s&lockEnded != 0 {
			return false
		}
		if s == 0 && atomic.CompareAndSwapUint32(&l.w, 0, to) {
			return true
		}
		if i >= 32 {
			runtime.Gosched()
		}
	}
}

// The probes every span fires. Their fields are those of any context
// event (request_id when there is one, trace_id, span_id) followed by
// parent_id ("" for a root), service and operation; span:start then has the
// span's initial tags, span:end its duration and, on error, error.
var (
	spanStartProbe = NewProbe("span:start")
	spanEndProbe   = NewProbe("span:end")
)

// StartSpan starts a span called name (its operation: "GET /users/{id}",
// "get data from DB") as a child of the span in ctx, or as the root of a
// new trace if ctx has none, and returns a context holding it. kv are
// the span's first tags, as [Span.SetTag] would set them.
//
// While the trace is not sampled and no session subscribes to the span
// probes, a span costs its IDs and the one allocation of its context (32
// bytes for a root, 48 for a child), reads no clock and keeps nothing
// else: not its name, tags or error, and ending it does nothing. Call
// [Span.End] when the operation ends.
func StartSpan(ctx context.Context, name string, kv ...any) (context.Context, *Span) {
	if ctx == nil {
		ctx = context.Background()
	}
	cfg := tracingConfig()
	v := ctx.Value(ctxKey{})
	p := spanIn(v)
	var flags uint8
	var w uint32
	var hi, lo, id uint64 // hi and lo: a new trace's ID; id: a child's
	if p != nil {
		flags = p.flags & spanSampled
		if p.kind == kindRemote {
			flags |= spanRemoteParent
		}
		id = newSpanID()
	} else {
		w, lo = newTraceBits()
		hi = traceHi(w, lo)
		if cfg.sample(hi, lo, name) {
			flags = spanSampled
		}
	}
	startOn := spanStartProbe.Enabled()
	record := flags&spanSampled != 0 && spanSinks.Load() != nil
	if !record && !startOn && !spanEndProbe.Enabled() {
		return startLean(ctx, v, p, flags, w, hi, lo, id)
	}
	if record {
		flags |= spanRecords
	}
	c := &spanContext{spanHead: spanHead{Context: ctx}, carry: infoIn(v)}
	s, st := &c.span, &c.st
	s.flags, s.kind = flags, kindFull
	if p != nil {
		c.ids.traceID, c.parent = p.ids()
	} else {
		binary.BigEndian.PutUint64(c.ids.traceID[:8], hi)
		binary.BigEndian.PutUint64(c.ids.traceID[8:], lo)
		id = rootSpanID(hi, lo)
	}
	binary.BigEndian.PutUint64(c.ids.id[:], id)
	st.start = now()
	if record {
		st.rec = newSpanData(s, name, st.start, cfg)
		st.rec.addTags(noescape(kv))
	} else {
		st.rec = scratchSpanData(name)
	}
	if startOn {
		s.fire(spanStartProbe, c, name, 0, nil, noescape(kv))
	}
	return c, s
}

// SpanFromContext returns the span ctx holds, or nil. After [Extract] it
// is the remote parent: its IDs are valid, its other methods do nothing.
func SpanFromContext(ctx context.Context) *Span {
	if ctx == nil {
		return nil
	}
	return spanIn(ctx.Value(ctxKey{})) // not infoOf: the request ID may take a walk up the spans

}

// TraceID returns the span's trace ID; the zero TraceID for a nil span.
func (s *Span) TraceID() TraceID {
	if s == nil {
		return TraceID{}
	}
	t, _ := s.ids()
	return t
}

// SpanID returns the span's ID; the zero SpanID for a nil span.
func (s *Span) SpanID() SpanID {
	if s == nil {
		return SpanID{}
	}
	_, id := s.ids()
	return id
}

// ParentID returns the ID of the span's parent: the zero SpanID for a root
// (and a nil span).
func (s *Span) ParentID() SpanID {
	if s == nil {
		return SpanID{}
	}
	return s.parentID()
}

// IsSampled reports whether the span's trace is sampled (recorded and
// exported where an exporter runs).
func (s *Span) IsSampled() bool { return s != nil && s.flags&spanSampled != 0 }

// IsRecording reports whether the span records its tags, logs and error:
// it is sampled, an exporter runs, and it has not ended.
func (s *Span) IsRecording() bool {
	return s != nil && s.flags&spanRecords != 0 && atomic.LoadUint32(&s.mu.w)&lockEnded == 0
}

// Name returns the span's operation name while anyone needs the span and
// it has not ended: it records, or a session traced the span probes when
// it started; "" for others, which keep no name (see [StartSpan]), and
// once it ended (its record then belongs to the exporters).
func (s *Span) Name() string {
	st := s.state()
	if st == nil || !s.mu.lock() {
		return ""
	}
	defer s.mu.unlock()
	return st.rec.Operation
}

// SetName renames the span: an HTTP server span learns its route only
// after routing. Like [Span.Name], it does nothing on a span that keeps
// no name (see [StartSpan]), nor once the span ended.
func (s *Span) SetName(name string) {
	if st := s.state(); st != nil {
		if s.mu.lock() {
			st.rec.Operation = name
			s.mu.unlock()
		}
	}
}

// SetTag sets a tag on a recording span (a later value for the same key
// replaces the earlier); it does nothing on others. Values are copied, as
// [Event.Clone] copies fields: strings (cut at [MaxValueLen]), numbers,
// bools, durations and times as themselves, anything else as its text,
// rendered within the probes' bounds (cycles, depth, length). A span keeps
// at most [MaxSpanTags] tags; the rest are counted in
// [SpanData.DroppedTags].
func (s *Span) SetTag(key string, value any) {
	if s == nil || s.flags&spanRecords == 0 {
		return
	}
	v := noescape([]any{value})[0] // copied by setTag, never kept: see noescape
	if s.mu.lock() {
		s.state().rec.setTag(key, v)
		s.mu.unlock()
	}
}

// Log adds a timestamped message with fields to a recording span (Moleculer's
// span logs, OpenTelemetry's span events); it does nothing on others. A
// span keeps at most [MaxSpanLogs] logs.
func (s *Span) Log(msg string, kv ...any) {
	if s == nil || s.flags&spanRecords == 0 {
		return
	}
	fields := noescape(kv) // copied by log, never kept
	if s.mu.lock() {
		s.state().rec.log(msg, fields)
		s.mu.unlock()
	}
}

// SetError marks the span failed with err (nil clears it): its type,
// message and, when err has them, code and data are recorded (see
// [SpanError]), the stack too if [TracingOptions.ErrorStack], and
// "span:end" carries the message as "error". Once the span ended, it does
// nothing.
func (s *Span) SetError(err error) {
	st := s.state()
	if st == nil {
		return
	}
	var stack string
	if err != nil && s.IsRecording() && tracingConfig().stack {
		stack = callers(2)
	}
	if s.mu.lock() {
		st.rec.err = err
		if s.flags&spanRecords != 0 {
			st.rec.setError(err, stack)
		}
		s.mu.unlock()
	}
}

// End ends the span: it fires "span:end" and hands a recording span to the
// exporters. Only the first call counts; a remote parent's End does
// nothing.
func (s *Span) End() {
	// A span nobody wanted at start (not recording, no session on the span
	// probes: no state, no clock read) has nothing to end: this much is
	// inlined into the caller.
	if s != nil && s.kind == kindFull {
		s.end()
	}
}

// end is End for a span with a state.
func (s *Span) end() {
	st := s.state()
	// now follows wall-clock steps (clock.go): a step back while the span
	// ran must not make its duration negative.
	dur := max(time.Duration(now()-st.start), 0)
	if !s.mu.end() {
		return
	}
	rec := st.rec
	st.rec = nil // handed on: the methods, finding the span ended, no longer read it
	if spanEndProbe.Enabled() {
		s.fire(spanEndProbe, s.full(), rec.Operation, dur, rec.err, nil)
	}
	rec.err = nil // the error as the caller gave it: for the probe, not kept
	if s.flags&spanRecords == 0 {
		rec.recycle()
		return
	}
	rec.Duration = dur
	deliverSpan(rec)
}

// fire fires p (span:start or span:end) with the span's fields; name is
// the span's, as the caller read it (StartSpan's argument, End's under mu).
func (s *Span) fire(p *Probe, ctx context.Context, name string, d time.Duration, err error, kv []any) {
	subs := p.subs.Load()
	if subs == nil {
		return
	}
	var parent [16]byte
	pre := [...]any{"parent_id", hexSpan(&parent, s.full().parent), "service", tracingConfig().res.Service, "operation", name, "duration", d, "error", ""}
	n := 6
	if p == spanEndProbe {
		n = 8
		if err != nil {
			pre[9] = errorText(err)
			n = 10
		}
	}
	p.emitContext(*subs, ctx, noescape(pre[:n]), kv)
}

// hexSpan returns id's hex digits in buf (on the caller's stack), "" for
// the zero ID.
func hexSpan(buf *[16]byte, id SpanID) string {
	if !id.IsValid() {
		return ""
	}
	return stackString(appendHex(buf[:0], id[:]))
}

const hexDigits = "0123456789abcdef"

func appendHex(b, p []byte) []byte {
	for _, c := range p {
		b = append(b, hexDigits[c>>4], hexDigits[c&15])
	}
	return b
}
