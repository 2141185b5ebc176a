package jstrace

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"
)

// Bounds of what a recording span keeps; what is over them is counted in
// its SpanData, never kept.
const (
	MaxSpanTags      = 128 // tags per span; more are counted in DroppedTags
	MaxSpanLogs      = 128 // logs per span; more are counted in DroppedLogs
	MaxSpanLogFields = 32  // fields per log; more are counted in DroppedTags
	// MaxSpanBytes bounds what a span's tags and logs hold, as
	// [SpanData.Size] estimates it: a tag or log that would pass it is
	// dropped and counted, so that a span (and a queue of spans waiting
	// for a slow backend) holds kilobytes, not the 66 MiB the counts alone
	// would allow.
	MaxSpanBytes   = 64 << 10
	maxStackFrames = 32
)

// SpanData is a recorded span as exporters receive it ([OnSpanEnd]): it
// is complete, and owned by no one else. Exporters must not modify it; it
// may be read from any number of goroutines.
type SpanData struct {
	TraceID  TraceID
	SpanID   SpanID
	ParentID SpanID // zero for a trace's root
	// RemoteParent is whether the parent span is in another process.
	RemoteParent bool
	TraceState   string    // W3C tracestate received from the parent, if any
	Resource     *Resource // the process: service, version, host, default tags
	Operation    string    // the span's name
	Start        time.Time
	Duration     time.Duration
	Error        *SpanError // nil unless SetError was given an error
	Tags         []Field    // in the order first set
	Logs         []SpanLog
	// DroppedTags counts tags and log fields refused past the limits;
	// CutValues counts string values cut at MaxValueLen.
	DroppedTags, DroppedLogs, CutValues int

	size int   // Size's estimate, kept as tags and logs are added
	err  error // the span's error as SetError was given it, until End

	// Loans (spanloan.go): pooled is whether d came from the pool; loaned,
	// set as d is delivered, whether sinks borrow it, refs their count.
	pooled, loaned bool
	refs           int32
}

// spanBase is Size's estimate of a SpanData without tags, logs or error;
// fieldCost of a field besides its key's and string value's bytes.
const (
	spanBase  = 512
	fieldCost = 48
)

// Size estimates the bytes d holds: its strings' lengths, plus a fixed
// cost per field and for the span. Exporters and queues budget memory by
// it (package export bounds the bytes each exporter's queue holds).
func (d *SpanData) Size() int {
	n := spanBase + d.size
	if e := d.Error; e != nil {
		n += fieldSize(e.Type, e.Message) + len(e.Code) + len(e.Stack) + fieldSize("", e.Data)
	}
	return n
}

func fieldSize(key string, v any) int {
	n := fieldCost + len(key)
	if s, ok := v.(string); ok {
		n += len(s)
	}
	return n
}

// A Field is a tag or a log field: a key and a value that points to no
// memory of the caller's (see [Span.SetTag]).
type Field struct {
	Key   string
	Value any
}

// A SpanLog is a timestamped message of a span (see [Span.Log]).
type SpanLog struct {
	Time    time.Time
	Message string
	Fields  []Field
}

// SpanError is what a span records of its error, after Moleculer's error
// fields: Type is the error's Go type (for a wrapped error, the innermost
// one that is not a wrapper from fmt or errors), Message its text, Code
// and Data what the error, or one it wraps, reports through the optional
// methods ErrorCode() string and ErrorData() any (Data rendered as a tag value),
// Stack the goroutine's stack where SetError was called, if
// [TracingOptions.ErrorStack].
type SpanError struct {
	Type, Message, Code string
	Data                any
	Stack               string
}

// A Resource describes the process spans come from: OpenTelemetry's
// resource, Moleculer's default tags.
type Resource struct {
	Service, Version, Host string
	Tags                   []Field // TracingOptions.Tags
}

// addTags sets the tags of a key-value list (a trailing key without a
// value, or a key that is not a string, is set as "!BADKEY", as slog does).
func (d *SpanData) addTags(kv []any) {
	for i := 0; i < len(kv); i += 2 {
		if i+1 == len(kv) {
			d.setTag("!BADKEY", kv[i])
			return
		}
		k, ok := kv[i].(string)
		if !ok {
			k = "!BADKEY"
		}
		d.setTag(k, kv[i+1])
	}
}

func (d *SpanData) setTag(key string, value any) {
	v := d.keep(value)
	key = d.cutCount(key)
	n := fieldSize(key, v)
	for i := range d.Tags {
		if d.Tags[i].Key == key {
			old := fieldSize(key, d.Tags[i].Value)
			if d.size-old+n > MaxSpanBytes {
				d.DroppedTags++
				return
			}
			d.Tags[i].Value = v
			d.size += n - old
			return
		}
	}
	if len(d.Tags) >= MaxSpanTags || d.size+n > MaxSpanBytes {
		d.DroppedTags++
		return
	}
	d.size += n
	if d.Tags == nil {
		d.Tags = make([]Field, 0, 4)
	}
	d.Tags = append(d.Tags, Field{strings.Clone(key), v})
}

func (d *SpanData) log(msg string, kv []any) {
	if len(d.Logs) >= MaxSpanLogs {
		d.DroppedLogs++
		return
	}
	l := SpanLog{Time: time.Unix(0, now()), Message: strings.Clone(d.cutCount(msg))}
	for i := 0; i < len(kv); i += 2 {
		if len(l.Fields) >= MaxSpanLogFields {
			d.DroppedTags += (len(kv) - i + 1) / 2
			break
		}
		k, ok := kv[i].(string)
		if !ok || i+1 == len(kv) {
			k = "!BADKEY" // as addTags: a key that is not a string, or a value without a key
		}
		v := kv[i]
		if i+1 < len(kv) {
			v = kv[i+1]
		}
		l.Fields = append(l.Fields, Field{strings.Clone(d.cutCount(k)), d.keep(v)})
	}
	n := fieldCost + len(l.Message)
	for _, f := range l.Fields {
		n += fieldSize(f.Key, f.Value)
	}
	if d.size+n > MaxSpanBytes {
		d.DroppedLogs++
		return
	}
	d.size += n
	d.Logs = append(d.Logs, l)
}

// keep returns a copy of v a SpanData may hold: strings cut and counted.
func (d *SpanData) keep(v any) any {
	if s, ok := v.(string); ok {
		return strings.Clone(d.cutCount(s))
	}
	return keepable(v)
}

func (d *SpanData) cutCount(s string) string {
	if len(s) > MaxValueLen {
		d.CutValues++
		return cut(s)
	}
	return s
}

// cut returns s cut at MaxValueLen bytes, on a rune boundary.
func cut(s string) string {
	if len(s) <= MaxValueLen {
		return s
	}
	n := MaxValueLen
	for n > 0 && n > MaxValueLen-4 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

func (d *SpanData) setError(err error, stack string) {
	if err == nil {
		d.Error = nil
		return
	}
	e := &SpanError{Type: errorType(err), Message: strings.Clone(d.cutCount(errorText(err))), Stack: stack}
	d.Error = e
	defer func() { // an As or Unwrap method of the error's that panics
		if recover() != nil {
			e.Code = "!PANIC"
		}
	}()
	var c interface{ ErrorCode() string }
	if errors.As(err, &c) {
		e.Code = strings.Clone(d.cutCount(safeString(c.ErrorCode)))
	}
	var x interface{ ErrorData() any }
	if errors.As(err, &x) {
		func() {
			defer func() {
				if recover() != nil {
					e.Data = "!PANIC in ErrorData"
				}
			}()
			e.Data = d.keep(x.ErrorData())
		}()
	}
}

// errorText returns err.Error(), or a note if it panics (a nil pointer
// with a value-receiver method, say).
func errorText(err error) string { return safeString(err.Error) }

func safeString(f func() string) (s string) {
	defer func() {
		if r := recover(); r != nil {
			s = "!PANIC: " + fmt.Sprint(r)
		}
	}()
	return f()
}

// errorType names the error's type, looking through the wrappers of fmt
// and errors to the error that carries the meaning.
func errorType(err error) string {
	for {
		t := fmt.Sprintf("%T", err)
		if t != "*fmt.wrapError" && t != "*fmt.wrapErrors" && t != "*errors.joinError" {
			return t
		}
		next := errors.Unwrap(err)
		if next == nil {
			if u, ok := err.(interface{ Unwrap() []error }); ok && len(u.Unwrap()) > 0 {
				next = u.Unwrap()[0]
			}
		}
		if next == nil {
			return t
		}
		err = next
	}
}

// callers returns the stack of the calling goroutine above skip frames, as
// "function\n\tfile:line" lines.
func callers(skip int) string {
	var pcs [maxStackFrames]uintptr
	n := runtime.Callers(skip+1, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	var b strings.Builder
	for {
		f, more := frames.Next()
		fmt.Fprintf(&b, "%s\n\t%s:%d\n", f.Function, f.File, f.Line)
		if !more {
			break
		}
	}
	return b.String()
}
