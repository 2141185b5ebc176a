package jstrace

import (
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
)

// On calls fn with every event of the probes whose names match pattern,
// until unsubscribe is called: it is how a backend or a logger follows
// requests in-process, as koa-trace's instrument and Node's
// diagnostics_channel.subscribe do:
//
//	unsubscribe, err := jstrace.On("http:*,db:*", func(e jstrace.Event) {
//		kv, _ := e.Args()
//		log.Println(e.RequestID(), e.Name(), e.Time(), kv)
//	})
//
// The pattern is a comma-separated list of globs ("*" any run of
// characters, ":" included; "?" one character), where a leading "-"
// excludes ("http:*,-http:layer:*"; exclusions alone exclude from
// everything), of at most [MaxPatternLen] bytes. It is matched against
// probe names when probes are registered and when subscriptions change,
// never per event: probes it does not match keep their disabled cost.
//
// The Event holds the probe's name, time, context ([Event.Context],
// [Event.RequestID]) and fields ([Event.Args], [Event.Record]); the
// context's fields ("request_id") come first.
//
// fn runs on the goroutine that fires the probe, before the probe call
// returns, concurrently from any number of goroutines: it must be safe for
// concurrent use, return quickly and never block, and must not retain the
// Event, the slices it returns or any value in them as an any (see
// [Event.Args]): copy values out (strings with strings.Clone), or keep
// the event's [Event.Clone]. A call of fn that panics
// is recovered: the probe's caller never sees it; the subscription is
// removed and the panic reported once, through [log/slog.Default]. No call
// of fn starts after unsubscribe returns (calls already under way may
// still be running: unsubscribe does not wait for them). unsubscribe may
// be called any number of times, from any goroutine; it takes the
// registry's lock, never held while user code runs.
func On(pattern string, fn func(Event)) (unsubscribe func(), err error) {
	if fn == nil {
		return nil, errors.New("jstrace: On with a nil function")
	}
	p, err := parsePattern(pattern)
	if err != nil {
		return nil, err
	}
	o := &onSub{fn: fn, pattern: pattern}
	s := SubscribeFunc(p.match, o.call)
	o.sub.Store(s)
	if o.stopped.Load() { // fn panicked before s was stored: stop missed it
		s.Close()
	}
	return o.stop, nil
}

// An onSub is the subscription of On: fn, guarded.
type onSub struct {
	fn       func(Event)
	pattern  string
	sub      atomic.Pointer[Subscription]
	stopped  atomic.Bool
	panicked atomic.Bool
}

func (o *onSub) call(e Event) {
	if o.stopped.Load() {
		return
	}
	defer o.catch()
	o.fn(e)
}

// catch removes the subscription of a panicking fn, reporting the first
// panic.
func (o *onSub) catch() {
	v := recover()
	if v == nil {
		return
	}
	if o.panicked.CompareAndSwap(false, true) {
		// v may point into the probe's stack (a panic with the Event's
		// fields): a handler must not keep it, so it gets the text.
		slog.Default().Error("jstrace: a subscriber panicked and was removed", "pattern", o.pattern, "panic", fmt.Sprint(v))
	}
	o.stop()
}

func (o *onSub) stop() {
	o.stopped.Store(true)
	if s := o.sub.Load(); s != nil {
		s.Close()
	}
}
