package jstrace

import (
	"context"
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
// "*:error" like any probe. A Channel is safe for concurrent use.
type Channel struct {
	name                                  string
	start, end, asyncStart, asyncEnd, err *Probe
}

// NewChannel returns the Channel called name, registering its five probes.
// Declare channels once, at package level, as probes are.
func NewChannel(name string) *Channel {
	return &Channel{
		name:       name,
		start:      NewProbe(name + ":start"),
		end:        NewProbe(name + ":end"),
		asyncStart: NewProbe(name + ":asyncStart"),
		asyncEnd:   NewProbe(name + ":asyncEnd"),
		err:        NewProbe(name + ":error"),
	}
}

// Name returns the channel's name.
func (c *Channel) Name() string { return c.name }

// Enabled reports whether a session subscribes to any of the channel's
// probes.
func (c *Channel) Enabled() bool {
	return c.start.Enabled() || c.end.Enabled() || c.asyncStart.Enabled() || c.asyncEnd.Enabled() || c.err.Enabled()
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
// (see [Probe.EmitContext]) and kv. While no session subscribes to the
// channel it returns the zero Op after the channel's atomic loads.
func (c *Channel) Start(ctx context.Context, kv ...any) Op {
	if !c.Enabled() {
		return Op{}
	}
	c.start.EmitContext(ctx, kv...)
	return Op{c: c, ctx: ctx, start: now()}
}

// Active reports whether the operation is traced: false for the zero Op.
func (o Op) Active() bool { return o.c != nil }

// End fires name:end with the duration since Start and kv.
func (o Op) End(kv ...any) {
	if o.c == nil || !o.c.end.Enabled() {
		return
	}
	o.c.end.EmitContext(o.ctx, append([]any{"duration", o.elapsed()}, kv...)...)
}

// Error fires name:error with err, whether the error was handled (by a
// later layer, a retry…), and kv. It does not end the operation: call End
// as well. A nil err does nothing.
func (o Op) Error(err error, handled bool, kv ...any) {
	if o.c == nil || err == nil || !o.c.err.Enabled() {
		return
	}
	o.c.err.EmitContext(o.ctx, append([]any{"error", err, "handled", handled}, kv...)...)
}

// AsyncStart fires name:asyncStart: the operation's work continues on
// another goroutine (a streamed body, a hijacked connection, a job it
// queued).
func (o Op) AsyncStart(kv ...any) {
	if o.c == nil || !o.c.asyncStart.Enabled() {
		return
	}
	o.c.asyncStart.EmitContext(o.ctx, kv...)
}

// AsyncEnd fires name:asyncEnd with the duration since Start.
func (o Op) AsyncEnd(kv ...any) {
	if o.c == nil || !o.c.asyncEnd.Enabled() {
		return
	}
	o.c.asyncEnd.EmitContext(o.ctx, append([]any{"duration", o.elapsed()}, kv...)...)
}

func (o Op) elapsed() time.Duration { return time.Duration(now() - o.start) }

// Trace runs fn as one operation: start, then fn, then error (unhandled)
// if fn returned one, then end. fn gets ctx unchanged.
func (c *Channel) Trace(ctx context.Context, fn func(context.Context) error, kv ...any) error {
	op := c.Start(ctx, kv...)
	err := fn(ctx)
	op.Error(err, false)
	op.End()
	return err
}
