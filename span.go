package jstrace

import (
	"context"
	"sync"
	"time"
	"unsafe"
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
// check. A Span is safe for concurrent use; it must not be copied.
type Span struct {
	traceID TraceID
	id      SpanID
	parent  SpanID
	start   int64 // Unix nanoseconds; 0 if nobody needed the clock at start
	// carry is the request ID and tracestate the span carries, shared
	// with its parent's context where they are the same; nil for none.
	carry *reqInfo
	flags uint8 // spanSampled, spanRemote, spanRemoteParent

	mu    sync.Mutex // guards the fields below
	ended bool
	name  string
	err   error
	rec   *SpanData // non-nil while the span records (sampled, exported)
}

const (
	spanSampled      = 1 << iota // the trace is sampled: record and export
	spanRemote                   // a parent in another process (Extract): never started or ended here
	spanRemoteParent             // this span's parent is remote
)

// spanContext is the context StartSpan returns: the parent and the span,
// in one allocation (128 bytes: two cache lines, on the path of every
// span).
type spanContext struct {
	context.Context
	span Span
}

func (c *spanContext) Value(key any) any {
	if _, ok := key.(ctxKey); ok {
		return &c.span
	}
	return c.Context.Value(key)
}

// context returns the spanContext s lives in: every Span but a remote
// parent's is allocated inside the context StartSpan returns.
func (s *Span) context() *spanContext {
	return (*spanContext)(unsafe.Add(unsafe.Pointer(s), -int(unsafe.Offsetof(spanContext{}.span))))
}

func (c *spanContext) String() string {
	return "jstrace.StartSpan(" + c.span.traceID.String() + "/" + c.span.id.String() + ")"
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
// probes, a span costs its IDs and the one allocation of the context,
// reads no clock and records nothing. Call [Span.End] when the operation
// ends.
func StartSpan(ctx context.Context, name string, kv ...any) (context.Context, *Span) {
	if ctx == nil {
		ctx = context.Background()
	}
	c := &spanContext{Context: ctx}
	s := &c.span
	s.name = name
	cfg := tracingConfig()
	info, p := infoOf(ctx)
	s.carry = info
	if p != nil {
		s.traceID, s.parent = p.traceID, p.id
		s.flags = p.flags & spanSampled
		if p.flags&spanRemote != 0 {
			s.flags |= spanRemoteParent
		}
	}
	if s.traceID.IsValid() {
		s.id = newSpanID()
	} else {
		s.traceID, s.id = newRootIDs()
		if cfg.sampler.ShouldSample(s.traceID, name) {
			s.flags |= spanSampled
		}
	}
	startOn := spanStartProbe.Enabled()
	if s.flags&spanSampled != 0 && spanSinks.Load() != nil {
		s.start = now()
		s.rec = newSpanData(s, cfg)
		s.rec.addTags(noescape(kv))
	} else if startOn || spanEndProbe.Enabled() {
		s.start = now()
	}
	if startOn {
		s.fire(spanStartProbe, c, name, 0, nil, noescape(kv))
	}
	return c, s
}

// SpanFromContext returns the span ctx holds, or nil. After [Extract] it
// is the remote parent: its IDs are valid, its other methods do nothing.
func SpanFromContext(ctx context.Context) *Span {
	_, s := infoOf(ctx)
	return s
}

// TraceID returns the span's trace ID; the zero TraceID for a nil span.
func (s *Span) TraceID() TraceID {
	if s == nil {
		return TraceID{}
	}
	return s.traceID
}

// SpanID returns the span's ID; the zero SpanID for a nil span.
func (s *Span) SpanID() SpanID {
	if s == nil {
		return SpanID{}
	}
	return s.id
}

// ParentID returns the ID of the span's parent: the zero SpanID for a root
// (and a nil span).
func (s *Span) ParentID() SpanID {
	if s == nil {
		return SpanID{}
	}
	return s.parent
}

// IsSampled reports whether the span's trace is sampled (recorded and
// exported where an exporter runs).
func (s *Span) IsSampled() bool { return s != nil && s.flags&spanSampled != 0 }

// IsRecording reports whether the span records its tags, logs and error:
// it is sampled, an exporter runs, and it has not ended.
func (s *Span) IsRecording() bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rec != nil && !s.ended
}

// Name returns the span's operation name.
func (s *Span) Name() string {
	if s == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.name
}

// SetName renames the span: an HTTP server span learns its route only
// after routing.
func (s *Span) SetName(name string) {
	if s == nil || s.flags&spanRemote != 0 {
		return
	}
	s.mu.Lock()
	s.name = name
	s.mu.Unlock()
}

// SetTag sets a tag on a recording span (a later value for the same key
// replaces the earlier); it does nothing on others. Values are copied, as
// [Event.Clone] copies fields: strings (cut at [MaxValueLen]), numbers,
// bools, durations and times as themselves, anything else as its text,
// rendered within the probes' bounds (cycles, depth, length). A span keeps
// at most [MaxSpanTags] tags; the rest are counted in
// [SpanData.DroppedTags].
func (s *Span) SetTag(key string, value any) {
	if s == nil {
		return
	}
	v := noescape([]any{value})[0] // copied by setTag, never kept: see noescape
	s.mu.Lock()
	if s.rec != nil {
		s.rec.setTag(key, v)
	}
	s.mu.Unlock()
}

// Log adds a timestamped message with fields to a recording span (Moleculer's
// span logs, OpenTelemetry's span events); it does nothing on others. A
// span keeps at most [MaxSpanLogs] logs.
func (s *Span) Log(msg string, kv ...any) {
	if s == nil {
		return
	}
	fields := noescape(kv) // copied by log, never kept
	s.mu.Lock()
	if s.rec != nil {
		s.rec.log(msg, fields)
	}
	s.mu.Unlock()
}

// SetError marks the span failed with err (nil clears it): its type,
// message and, when err has them, code and data are recorded (see
// [SpanError]), the stack too if [TracingOptions.ErrorStack], and
// "span:end" carries the message as "error".
func (s *Span) SetError(err error) {
	if s == nil || s.flags&spanRemote != 0 {
		return
	}
	var stack string
	if err != nil && s.IsRecording() && tracingConfig().stack {
		stack = callers(2)
	}
	s.mu.Lock()
	s.err = err
	if s.rec != nil {
		s.rec.setError(err, stack)
	}
	s.mu.Unlock()
}

// End ends the span: it fires "span:end" and hands a recording span to the
// exporters. Only the first call counts; a remote parent's End does
// nothing.
func (s *Span) End() {
	// A span nobody wanted at start (not recording, no session on the span
	// probes: no clock read) has nothing to end.
	if s == nil || s.start == 0 || s.flags&spanRemote != 0 {
		return
	}
	// now follows wall-clock steps (clock.go): a step back while the span
	// ran must not make its duration negative.
	dur := max(time.Duration(now()-s.start), 0)
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.ended = true
	rec, err, name := s.rec, s.err, s.name
	s.rec = nil // handed to the exporters: SetTag, Log, SetError no longer write it
	if rec != nil {
		rec.Operation = name
		rec.Duration = dur
	}
	s.mu.Unlock()
	if spanEndProbe.Enabled() {
		s.fire(spanEndProbe, s.context(), name, dur, err, nil)
	}
	if rec != nil {
		deliverSpan(rec)
	}
}

// fire fires p (span:start or span:end) with the span's fields; name is
// the span's, as the caller read it (StartSpan's argument, End's under mu).
func (s *Span) fire(p *Probe, ctx context.Context, name string, d time.Duration, err error, kv []any) {
	subs := p.subs.Load()
	if subs == nil {
		return
	}
	var parent [16]byte
	pre := [...]any{"parent_id", hexSpan(&parent, s.parent), "service", tracingConfig().res.Service, "operation", name, "duration", d, "error", ""}
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
