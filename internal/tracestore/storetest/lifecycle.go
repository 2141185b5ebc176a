package storetest

import (
	"time"

	"github.com/jstrace-go/jstrace/internal/tracestore"
)

// retention is the Retention the retention tests use: an hour on the
// suite's clock, or RealRetention for a store on its own clock.
func (e *env) retention() time.Duration {
	if e.caps.RealClock {
		return RealRetention
	}
	return time.Hour
}

// wait lets f of the retention pass: on the suite's clock, or really.
func (e *env) wait(f float64) {
	d := time.Duration(f * float64(e.retention()))
	if e.caps.RealClock {
		time.Sleep(d)
		return
	}
	e.clock.advance(d)
}

var retentionTests = []test{
	{"kept after the last put", func(e *env) {
		s := e.store(e.retention())
		e.put(s, failed(span(1, 1, 0, "web", "a", 0, time.Second), "x"))
		e.put(s, failed(span(2, 1, 0, "web", "b", 0, 2*time.Second), "x"))
		e.wait(0.67)
		late := span(1, 2, 1, "db", "late", time.Millisecond, time.Millisecond)
		e.put(s, late)
		e.wait(0.6) // trace 2 put 1.27 retentions ago, trace 1 0.6
		e.gone(s, tid(2))
		for _, l := range []lister{slow, errs, recent} {
			e.listed(s, l, tracestore.Query{}, 1)
		}
		e.wait(0.67)
		e.gone(s, tid(1))
		for _, l := range []lister{slow, errs, recent} {
			e.listed(s, l, tracestore.Query{})
		}
		again := span(1, 3, 1, "db", "again", 0, time.Millisecond)
		e.put(s, again)
		e.trace(s, tid(1), []tracestore.Span{again})
	}},
	{"default retention", func(e *env) {
		if e.caps.RealClock {
			e.Skip("a day of real time")
		}
		s := e.store(0)
		e.put(s, simple(1, "web", "a", 0, time.Second)...)
		e.clock.advance(tracestore.DefaultRetention - time.Minute)
		e.listed(s, recent, tracestore.Query{}, 1)
		e.clock.advance(2 * time.Minute)
		e.gone(s, tid(1))
		e.listed(s, recent, tracestore.Query{})
	}},
}

var closeTests = []test{
	{"methods fail after close", func(e *env) {
		s := e.store(0)
		e.put(s, simple(1, "web", "a", 0, time.Second)...)
		if err := s.Close(); err != nil {
			e.Fatalf("Close() = %v", err)
		}
		if err := s.Put(ctx(), simple(2, "web", "a", 0, time.Second)); err == nil {
			e.Error("Put after Close: nil error")
		}
		if _, err := s.Trace(ctx(), tid(1)); err == nil {
			e.Error("Trace after Close: nil error")
		}
		for name, l := range map[string]lister{"Slow": slow, "Errors": errs, "Recent": recent} {
			if _, err := l(s, ctx(), tracestore.Query{}); err == nil {
				e.Errorf("%s after Close: nil error", name)
			}
		}
	}},
	{"a second handle outlives the first", func(e *env) {
		a, b := e.store(0), e.store(0)
		e.put(a, simple(1, "web", "a", 0, time.Second)...)
		if err := a.Close(); err != nil {
			e.Fatalf("Close() = %v", err)
		}
		e.trace(b, tid(1), simple(1, "web", "a", 0, time.Second))
		e.put(b, simple(2, "web", "a", -time.Second, time.Second)...)
		e.listed(b, recent, tracestore.Query{}, 1, 2)
	}},
}
