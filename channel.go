package jstrace

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// A Channel publishes the lifecycle of one kind of operation (a request, a
// middleware layer, a query) as five probes, after Node's TracingChannel:
//
//	name:start       the operation began
//	name:end         its synchronous part returned (field "duration")
//	name:asyncStart  work it handed to another goroutine began
//	name:asyncEnd    that work ended (field "duration", since start)
//	name:error       it failed (fields "error" and "handled")
//
// Each probe is an ordinary [Probe]: scripts subscribe to "db:query:*" or
// "*:error" like any probe, and in-process subscribers ([On]) get the
// operation's context ([Event.Context]).
//
// "Async" maps onto Go as work the operation hands to another goroutine
// and that outlives its synchronous part: a response body streamed after
// the handler returned, a hijacked connection, a job queued for later.
// Call [Op.AsyncStart] when that work begins and [Op.AsyncEnd] when it
// ends; operations that finish where they started use only Start and End.
//
// An instrumentation may fire name:error after name:end when whether the
// error was handled is only known later (jstracehttp does: a layer's
// errors fire when the request's outcome is known).
//
// A Channel is safe for concurrent use.
type Channel struct {
	name                                  string
	start, end, asyncStart, asyncEnd, err *Probe
	// on is whether any of the five probes is subscribed, kept by the
	// registry when subscriptions change (see Probe.store), never per call.
	on atomic.Bool
}

// NewChannel returns the Channel called name, registering its five probes;
// every call with the same name returns the same *Channel. Declare channels
// once, at package level, as probes are.
func NewChannel(name string) *Channel {
	c := &Channel{
		name:       name,
		start:      NewProbe(name + ":start"),
		end:        NewProbe(name + ":end"),
		asyncStart: NewProbe(name + ":asyncStart"),
		asyncEnd:   NewProbe(name + ":asyncEnd"),
		err:        NewProbe(name + ":error"),
	}
	return probes.channel(c)
}

// Name returns the channel's name.
func (c *Channel) Name() string { return c.name }

// Enabled reports whether anyone subscribes to any of the channel's
// probes. It costs one atomic load.
func (c *Channel) Enabled() bool { return c.on.Load() }

// refresh recomputes on; the caller holds probes.mu.
func (c *Channel) refresh() {
	c.on.Store(c.start.Enabled() || c.end.Enabled() || c.asyncStart.Enabled() || c.asyncEnd.Enabled() || c.err.Enabled())
}

// An Op is one operation in flight on a Channel, from [Channel.Start]. It
// is a small value: pass it by value. The zero Op, which Start returns
// while nobody listens, does nothing. An Op's methods may be called from
// any goroutine, but each at most once except Error.
type Op struct {
	c     *Channel
	ctx   context.Context
	start int64 // Unix nanoseconds; 0 when disabled
}

// Start begins an operation: it fires name:start with the context's fields
// (see [Probe.EmitContext]) and kv, and reads the clock for the durations
// of End and AsyncEnd. While nobody subscribes to the channel it returns
// the zero Op after one atomic load.
func (c *Channel) Start(ctx context.Context, kv ...any) Op {
	if c.on.Load() { // inlined at the call site
		return c.begin(ctx, kv)
	}
	return Op{}
}

// begin is Start past its test; kv does not escape (see noescape).
func (c *Channel) begin(ctx context.Context, kv []any) Op {
	var ts int64
	if subs := c.start.subs.Load(); subs != nil {
		ts = c.start.emitContext(*subs, ctx, nil, noescape(kv)) // the start event's time, if it read one
	}
	if ts == 0 {
		ts = now()
	}
	return Op{c: c, ctx: ctx, start: ts}
}

// Active reports whether the operation is traced: false for the zero Op.
func (o Op) Active() bool { return o.c != nil }

// End fires name:end with the duration since Start ("duration") and kv.
func (o Op) End(kv ...any) {
	if o.c != nil {
		o.withDuration(o.c.end, kv)
	}
}

// Error fires name:error with err ("error"), whether it was handled
// ("handled": by a later layer, a retry…), and kv. It does not end the
// operation: call End as well. A nil err does nothing.
func (o Op) Error(err error, handled bool, kv ...any) {
	if o.c != nil && err != nil {
		o.fail(err, handled, kv)
	}
}

// fail is Error past its test; kv does not escape (see noescape).
func (o Op) fail(err error, handled bool, kv []any) {
	subs := o.c.err.subs.Load()
	if subs == nil {
		return
	}
	pre := [4]any{"error", err, "handled", handled}
	o.c.err.emitContext(*subs, o.ctx, noescape(pre[:]), noescape(kv))
}

// AsyncStart fires name:asyncStart: the operation's work continues on
// another goroutine (a streamed body, a hijacked connection, a job it
// queued).
func (o Op) AsyncStart(kv ...any) {
	if o.c != nil {
		o.c.asyncStart.EmitContext(o.ctx, kv...)
	}
}

// AsyncEnd fires name:asyncEnd with the duration since Start ("duration")
// and kv.
func (o Op) AsyncEnd(kv ...any) {
	if o.c != nil {
		o.withDuration(o.c.asyncEnd, kv)
	}
}

// withDuration fires p with the duration since Start in front of kv,
// which does not escape (see noescape).
func (o Op) withDuration(p *Probe, kv []any) {
	subs := p.subs.Load()
	if subs == nil {
		return
	}
	pre := [2]any{"duration", o.elapsed()}
	p.emitContext(*subs, o.ctx, noescape(pre[:]), noescape(kv))
}

func (o Op) elapsed() time.Duration { return max(time.Duration(now()-o.start), 0) } // never negative across a wall-clock step

// Trace runs fn as one operation: start, then fn, then error (unhandled)
// if fn returned one, then end. fn gets ctx unchanged. If fn panics, the
// panic is reported as an unhandled error ("panic: " and the value), the
// operation ended, and the panic continues with its value unchanged.
func (c *Channel) Trace(ctx context.Context, fn func(context.Context) error, kv ...any) error {
	op := c.Start(ctx, kv...)
	if op.c == nil {
		return fn(ctx)
	}
	return op.run(ctx, fn)
}

func (o Op) run(ctx context.Context, fn func(context.Context) error) (err error) {
	returned := false
	defer func() {
		if returned {
			return
		}
		v := recover() // nil: runtime.Goexit, which goes on by itself
		if v != nil {
			o.Error(fmt.Errorf("panic: %v", v), false)
		}
		o.End()
		if v != nil {
			panic(v)
		}
	}()
	err = fn(ctx)
	returned = true
	o.Error(err, false)
	o.End()
	return err
}
