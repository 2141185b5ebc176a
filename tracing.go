package jstrace

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// TracingOptions configure the spans of this process ([SetTracing]). The
// zero value works: every trace is sampled, and the service is named after
// the program.
type TracingOptions struct {
	// Service names the service in every span. Default: the agent's
	// Title when an agent runs (package agent), else the program's file
	// name.
	Service string
	// Version is the service's version, exported with every span.
	// Default: none.
	Version string
	// Tags are default tags of every span of the process, as
	// alternating keys and values (Moleculer's defaultTags), exported
	// with the process's resource. Default: none; the host name is always
	// there as Resource.Host.
	Tags []any
	// Sampler decides, at the root of each trace, whether it is sampled:
	// recorded and exported. Children follow their parent's decision,
	// remote parents included, so a trace is complete or absent. Default:
	// AlwaysSample(); see Probability and RateLimit.
	Sampler Sampler
	// ErrorStack records the stack of the goroutine calling
	// [Span.SetError] in the span's error (up to 32 frames). Default:
	// false.
	ErrorStack bool
}

// tracing is the process's resolved TracingOptions.
type tracing struct {
	res        *Resource
	sampler    Sampler
	ids        idSampler // sampler, when it is one of this package's; else nil
	fixed      fixedSampling
	stack      bool
	serviceSet bool // Service was given, not defaulted
}

var tracingCfg atomic.Pointer[tracing]

// defaultService is the last name given to DefaultService.
var defaultService atomic.Pointer[string]

// fixedSampling is what a constant sampler decides, known without asking
// it (a call through an interface, at every root span).
type fixedSampling uint8

const (
	askSampler fixedSampling = iota
	sampleNone
	sampleAll
)

// sample asks the sampler about a new trace, its ID given as its two
// big-endian halves.
func (t *tracing) sample(hi, lo uint64, operation string) bool {
	if t.fixed != askSampler {
		return t.fixed == sampleAll
	}
	return t.ask(hi, lo, operation)
}

func (t *tracing) ask(hi, lo uint64, operation string) bool {
	if t.ids != nil {
		return t.ids.sampleIDs(hi, lo, operation)
	}
	var id TraceID
	binary.BigEndian.PutUint64(id[:8], hi)
	binary.BigEndian.PutUint64(id[8:], lo)
	return t.sampler.ShouldSample(id, operation)
}

func tracingConfig() *tracing {
	if t := tracingCfg.Load(); t != nil {
		return t
	}
	return defaultTracing()
}

func defaultTracing() *tracing {
	tracingCfg.CompareAndSwap(nil, resolveTracing(TracingOptions{}))
	return tracingCfg.Load()
}

// SetTracing configures the spans of this process from now on: spans
// already started keep the configuration they started with. It is safe
// for concurrent use; call it once at start, before serving.
func SetTracing(o TracingOptions) {
	tracingCfg.Store(resolveTracing(o))
}

// DefaultService sets the service name of spans if [SetTracing] was not
// given one: it is how the agent names a process's spans after its title.
func DefaultService(name string) {
	if name != "" {
		defaultService.Store(&name) // for a later SetTracing without a Service
	}
	for {
		old := tracingConfig()
		if old.serviceSet || name == "" || old.res.Service == name {
			return
		}
		t := *old
		r := *old.res
		r.Service = name
		t.res = &r
		if tracingCfg.CompareAndSwap(old, &t) {
			return
		}
	}
}

// Tracing returns the process's tracing configuration, resolved: the
// service name and sampler are never empty.
func Tracing() TracingOptions {
	t := tracingConfig()
	o := TracingOptions{Service: t.res.Service, Version: t.res.Version, Sampler: t.sampler, ErrorStack: t.stack}
	for _, f := range t.res.Tags {
		o.Tags = append(o.Tags, f.Key, f.Value)
	}
	return o
}

func resolveTracing(o TracingOptions) *tracing {
	t := &tracing{sampler: o.Sampler, stack: o.ErrorStack, serviceSet: o.Service != ""}
	if t.sampler == nil {
		t.sampler = AlwaysSample()
	}
	t.ids, _ = t.sampler.(idSampler)
	if c, ok := t.sampler.(constSampler); ok {
		t.fixed = sampleNone
		if c {
			t.fixed = sampleAll
		}
	}
	r := &Resource{Service: o.Service, Version: o.Version}
	if d := defaultService.Load(); r.Service == "" && d != nil {
		r.Service = *d
	}
	if r.Service == "" {
		r.Service = filepath.Base(os.Args[0])
	}
	r.Host, _ = os.Hostname()
	d := SpanData{}
	d.addTags(o.Tags)
	r.Tags = d.Tags
	t.res = r
	return t
}

// A spanSink is a function of OnSpanEnd, guarded as On guards its own.
type spanSink struct {
	fn       func(*SpanData)
	borrows  bool // registered by OnSpanEndLoan
	panicked atomic.Bool
}

// A sinkSet is the registered sinks, and whether they all borrow.
type sinkSet struct {
	list []*spanSink
	loan bool
}

var (
	spanSinksMu sync.Mutex
	spanSinks   atomic.Pointer[sinkSet] // nil while there is none
)

// OnSpanEnd calls fn with every recorded span when it ends, until stop is
// called: it is how exporters receive spans (package export runs them).
// Spans record only while at least one such function is registered, and
// only if sampled.
//
// fn runs on the goroutine that ends the span, before End returns: it
// must be safe for concurrent use, quick, and never block (queue the span
// and export it elsewhere). It owns nothing but may keep the *SpanData,
// which no one modifies after End. A fn that panics is removed and the
// panic reported once through [log/slog.Default]; the span's caller never
// sees it. stop may be called any number of times.
func OnSpanEnd(fn func(*SpanData)) (stop func()) {
	return onSpanEnd(fn, false)
}

func onSpanEnd(fn func(*SpanData), borrows bool) (stop func()) {
	if fn == nil {
		return func() {}
	}
	s := &spanSink{fn: fn, borrows: borrows}
	spanSinksMu.Lock()
	setSinks(append(sinks(), s))
	spanSinksMu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { removeSink(s) }) }
}

func sinks() []*spanSink {
	if p := spanSinks.Load(); p != nil {
		return p.list
	}
	return nil
}

func setSinks(s []*spanSink) {
	if len(s) == 0 {
		spanSinks.Store(nil)
		loanSpans.Store(false)
		return
	}
	set := &sinkSet{list: s, loan: true}
	for _, x := range s {
		set.loan = set.loan && x.borrows
	}
	spanSinks.Store(set)
	loanSpans.Store(set.loan)
}

func removeSink(s *spanSink) {
	spanSinksMu.Lock()
	defer spanSinksMu.Unlock()
	var kept []*spanSink
	for _, x := range sinks() {
		if x != s {
			kept = append(kept, x)
		}
	}
	setSinks(kept)
}

// deliverSpan hands d to the sinks. A pooled d is lent if they all
// borrow (a sink that keeps spans may have been registered since d was
// taken from the pool: d then is not lent, and never recycled). A lent d
// starts with one reference per sink, each handed to its sink to release
// (see OnSpanEndLoan): the delivery keeps none, and must not read d once
// it has called the sinks.
func deliverSpan(d *SpanData) {
	p := spanSinks.Load()
	if p == nil {
		if d.pooled {
			d.recycle()
		}
		return
	}
	// One reference per borrowing sink, each its own to release (a plain
	// store: no sink has d yet).
	if d.loaned = d.pooled && p.loan; d.loaned {
		d.refs = int32(len(p.list))
	}
	for _, s := range p.list {
		s.call(d)
	}
}

func (s *spanSink) call(d *SpanData) {
	defer func() {
		if v := recover(); v != nil && s.panicked.CompareAndSwap(false, true) {
			removeSink(s)
			slog.Default().Error("jstrace: span exporter panicked; removed", "panic", fmt.Sprint(v))
		}
	}()
	s.fn(d)
}
