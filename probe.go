package jstrace

import (
	"context"
	"sync/atomic"
)

// A Probe is a named point in a program that tracing sessions can subscribe
// to. Declare probes once, at package level, and fire them with
// [Probe.Emit], guarded by [Probe.Enabled] on hot paths:
//
//	var dbQuery = jstrace.NewProbe("db:query")
//
//	if dbQuery.Enabled() {
//		dbQuery.Emit("table", table, "rows", n, "duration", d)
//	}
//
// A Probe is safe for concurrent use by multiple goroutines.
type Probe struct {
	name   string
	prefix []byte // the start of its records: kind and name, encoded
	// subs holds the subscriptions this probe feeds; nil while none does,
	// which is what Enabled tests. It is recomputed when subscriptions
	// change (registry.update), never per event.
	subs atomic.Pointer[[]*Subscription]
	ch   *Channel // the Channel p belongs to, if any; guarded by probes.mu
	// watch is called when p turns enabled or disabled; guarded by
	// probes.mu (see Watch).
	watch func(enabled bool)
}

// NewProbe returns the probe with the given name, registering it on first
// use; every call with the same name returns the same *Probe. Names use ":"
// as a separator, most general part first: "request:start", "db:query",
// "mylib:cache:miss".
func NewProbe(name string) *Probe {
	return probes.probe(name, false)
}

// Name returns the probe's name.
func (p *Probe) Name() string { return p.name }

// Watch makes fn be called each time p turns enabled or disabled, with
// the new state, and once now with the current one; a later Watch replaces
// fn, and a nil fn stops the calls. It is how a producer that has to poll
// for its events (the agent's probes of the Go runtime) runs only while
// someone subscribes. fn runs with the probe registry locked, on the
// goroutine that changes the subscriptions: it must return quickly, never
// block, and never call into this package's subscriptions or probe
// registration (Subscribe, Close, On, NewProbe...); Enabled and Emit are
// fine. If fn panics it is removed and the panic reported once, through
// [log/slog.Default]: the subscriber that changed p never sees it.
func (p *Probe) Watch(fn func(enabled bool)) {
	probes.mu.Lock()
	defer probes.mu.Unlock()
	p.watch = fn
	if fn != nil {
		p.callWatch(p.Enabled())
	}
}

// Enabled reports whether any tracing session subscribes to p. It costs one
// atomic load; use it to skip computing fields nobody will see.
func (p *Probe) Enabled() bool {
	return p.subs.Load() != nil
}

// Emit fires the probe with alternating keys and values, as log/slog does:
// a string key is followed by its value, a [log/slog.Attr] stands on its
// own, and any other value is recorded under the key "!BADKEY".
//
// Emit never blocks and never retains kv: the fields are encoded into each
// subscribed session's bounded buffer before it returns, and an event that
// does not fit is dropped and counted. String, Error and LogValue methods of
// the values are called during Emit, and must not keep their receiver
// beyond the call: Emit lets the compiler keep kv and the values it boxes
// on the caller's stack, so that disabled probes cost no allocation. While no session subscribes, Emit returns after one
// atomic load. Strings longer than [MaxValueLen], containers longer than
// [MaxElems] and nesting deeper than [MaxDepth] are cut.
func (p *Probe) Emit(kv ...any) {
	subs := p.subs.Load()
	if subs == nil {
		return
	}
	p.emit(*subs, nil, nil, noescape(kv))
}

// Trace fires the probe called name, registering it on first use while a
// session is attached. It is the convenience form of [NewProbe] and
// [Probe.Emit], with the same rules for kv: while no session is attached it
// returns after one atomic load, and while sessions are attached but none
// subscribes to name it costs one lookup.
func Trace(name string, kv ...any) {
	if probes.active.Load() != 0 { // inlined: the disabled cost is this load
		trace(name, kv)
	}
}

// trace is Trace once a session is attached, kept out of line so that
// Trace inlines into its callers.
func trace(name string, kv []any) {
	if p, subs := subscribed(name); p != nil {
		p.emit(subs, nil, nil, noescape(kv))
	}
}

// subscribed returns the probe called name (registering it) and its
// subscriptions, or nil while nobody subscribes to it.
func subscribed(name string) (*Probe, []*Subscription) {
	p := probes.lookup(name)
	if p == nil {
		return nil, nil
	}
	subs := p.subs.Load()
	if subs == nil {
		return nil, nil
	}
	return p, *subs
}

// emitBufSize is the stack buffer an event is encoded into; bigger events
// spill to the heap. Go zeroes it on every call, so it is sized for common
// events (a name and a handful of fields), not for the largest.
const emitBufSize = 256

// emit delivers an event to subs: the fields are head then kv (head is
// nil but for context events too long to join on the stack, see
// emitContext); ctx is the context of EmitContext and Channels, else nil.
// It returns the event's time if it read the clock, else 0.
func (p *Probe) emit(subs []*Subscription, ctx context.Context, head, kv []any) int64 {
	var buf [emitBufSize]byte
	var f, rec []byte // the event's record, encoded by the first buffered subscription
	var ts int64
	for _, s := range subs {
		if s.fn == nil {
			if rec == nil {
				ts = now()
				f, rec = encodeEvent(noescape(buf[:0]), p.prefix, ts, head, kv)
			}
			if s.flight != nil {
				s.flight.write(f)
				continue
			}
			s.ring.write(f)
			continue
		}
		// Field by field, not a composite literal: the compiler builds a
		// literal in a temporary and copies it here, 16 bytes at a time,
		// loads the CPU cannot forward from the 8-byte stores that just
		// wrote them (a tenth of an aggregated event's time).
		var d eventData
		d.prefix, d.name, d.ctx, d.head, d.kv, d.buf, d.ts = p.prefix, p.name, ctx, head, kv, noescape(buf[:0]), ts
		if rec != nil {
			d.done, d.framed, d.rec = true, f, rec
		}
		s.fn(lend(&d)) // if fn encodes, into buf: f and rec are still ours to rewrite
	}
	return ts
}
