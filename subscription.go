package jstrace

import (
	"slices"
)

// DefaultBufferSize is the buffer of a [Subscription] when Subscribe is given
// a size of zero.
const DefaultBufferSize = 1 << 20

// A Subscription receives the events of the probes it matches into a bounded
// buffer that one consumer drains. It is the seam between probes and the
// agent package, which holds one per tracing session; services that only
// place probes never use it.
//
// Events are delivered as encoded records (see docs/protocol.md): Read
// appends them, each prefixed by its length as a uvarint (the payload
// format of the protocol's Events frame). A probe that finds the buffer
// full drops its event and counts it in [Subscription.Dropped]; it never
// waits.
//
// Read, Ready and Filling belong to a single consumer goroutine; the other
// methods are safe for concurrent use.
//
// A subscription made by [SubscribeFunc] has no buffer: it hands each event
// to its function as the probe fires.
type Subscription struct {
	match  func(probe string) bool // guarded by probes.mu
	ring   *ring                   // nil for SubscribeFunc and SubscribeFlight
	fn     func(Event)             // set by SubscribeFunc
	flight *flight                 // set by SubscribeFlight
	gen    uint64                  // guarded by probes.mu: bumped when match or membership changes
}

// Subscribe starts a subscription to every probe, present or future, whose
// name match reports true, with a buffer of bufferSize bytes
// ([DefaultBufferSize] if zero or less, at least 4 KiB, rounded up to a
// power of two). match is called when probes are registered (on the
// registering goroutine) and when subscriptions change, never per event,
// and never with the registry locked: it may be slow without blocking
// other registrations. It must be safe for concurrent use. A nil match
// subscribes to nothing.
//
// A buffer of 512 KiB or more is split in as many parts as the process has
// processors (GOMAXPROCS, at most 8, each at least 256 KiB), so that probes
// firing on several cores do not contend for one lock; [Subscription.Read]
// returns their records merged in order of time, each goroutine's in the
// order it fired them. A record larger than one part is dropped and
// counted. The memory of a buffer of 64 KiB or more is reused by later
// subscriptions once this one is unreachable. On Linux it lives outside
// the Go heap, so that it neither raises the heap's size, which sets how
// often the collector runs, nor counts in runtime/metrics' heap figures
// or against a memory limit (runtime/debug.SetMemoryLimit);
// it counts in the process's resident memory as its pages are written,
// and leaves it once the collector finds the subscription unreachable
// (after Close, at the next collection).
//
// Close releases the subscription.
func Subscribe(match func(probe string) bool, bufferSize int) *Subscription {
	if bufferSize <= 0 {
		bufferSize = DefaultBufferSize
	}
	return subscribe(&Subscription{match: orNone(match), ring: newRing(bufferSize)})
}

// SubscribeFunc starts a subscription to every probe whose name match
// reports true, like [Subscribe], that calls fn with each event on the
// goroutine that fires the probe, before Emit or Trace returns. It is how
// an in-process consumer reduces events where they happen, as DTrace
// aggregates in probe context, rather than buffering them for another
// goroutine: the cost is spread over the events, and nothing is queued,
// woken or dropped; a consumer that reads plain fields directly
// ([Event.Args]) also saves their encoding.
//
// fn runs inside the traced program's hot paths, concurrently: it must be
// safe for concurrent use, return quickly, never block and never panic,
// and must not retain anything the Event holds or returns. Read returns
// nothing, Ready and Filling never fire, and Dropped is 0. After Close,
// probes that loaded the subscription just before may still call fn for a
// moment.
func SubscribeFunc(match func(probe string) bool, fn func(Event)) *Subscription {
	if fn == nil {
		fn = func(Event) {}
	}
	return subscribe(&Subscription{match: orNone(match), fn: fn})
}

func subscribe(s *Subscription) *Subscription {
	probes.mu.Lock()
	probes.subs = append(probes.subs, s)
	probes.active.Add(1)
	probes.update(s)
	return s
}

func orNone(match func(string) bool) func(string) bool {
	if match == nil {
		return func(string) bool { return false }
	}
	return match
}

// SetMatch replaces the subscription's match function and recomputes which
// probes feed it. Concurrent calls leave the match of the last one to
// start in effect.
func (s *Subscription) SetMatch(match func(probe string) bool) {
	probes.mu.Lock()
	s.match = orNone(match)
	if !slices.Contains(probes.subs, s) {
		probes.mu.Unlock()
		return
	}
	probes.update(s)
}

// Close detaches the subscription from every probe; probes nobody else
// subscribes to return to their disabled cost. Events already buffered can
// still be read, and Emit still works. Close is idempotent.
func (s *Subscription) Close() {
	probes.mu.Lock()
	defer probes.mu.Unlock()
	i := slices.Index(probes.subs, s)
	if i < 0 {
		return
	}
	probes.subs = slices.Delete(probes.subs, i, i+1)
	probes.active.Add(-1)
	probes.detach(s)
}

// Ready returns a channel that receives a value when the buffer turns
// non-empty. A consumer waits on it, then calls Read until it returns no
// more data.
func (s *Subscription) Ready() <-chan struct{} {
	if s.ring == nil {
		return nil
	}
	return s.ring.ready
}

// Filling returns a channel that receives a value when the buffer (or one
// of its parts, see [Subscribe]) passes a quarter of its size. A consumer that lets events accumulate after Ready,
// to read them in fewer passes, stops waiting when it fires: the buffer
// then still has room for three times what came meanwhile.
func (s *Subscription) Filling() <-chan struct{} {
	if s.ring == nil {
		return nil
	}
	return s.ring.filling
}

// Read appends every buffered record to dst, each prefixed by its length,
// and empties the buffer. The records are in order of time across the
// buffer's parts (see [Subscribe]); each goroutine's in the order it fired
// them. Read is for one consumer at a time.
func (s *Subscription) Read(dst []byte) []byte {
	if s.ring == nil {
		return dst
	}
	return s.ring.read(dst)
}

// Dropped returns how many records did not fit in the buffer.
func (s *Subscription) Dropped() uint64 {
	if s.ring == nil {
		return 0
	}
	return s.ring.dropped.Load()
}

// Forward writes e's record into the subscription's buffer, as a probe the
// subscription matched would have, and reports whether it was written
// (false: dropped and counted, as in Emit). It is how the function of a
// [SubscribeFunc] subscription hands on an event it does not take at once,
// to be read later with the rest; e is the event it was lent.
func (s *Subscription) Forward(e Event) bool {
	d := e.d
	if d == nil || s.fn != nil {
		return false
	}
	d.encode()
	if s.flight != nil {
		return s.flight.write(d.framed)
	}
	return s.ring.write(d.framed)
}

// Emit writes a record of an event emitted by a script (rather than fired by
// a probe) into the subscription's buffer, timestamped now. It returns the
// size of the encoded record, and whether it was written (false: dropped
// and counted because the buffer was full or the record too large).
func (s *Subscription) Emit(name string, kv ...any) (size int, ok bool) {
	var buf [emitBufSize]byte
	d := eventData{kind: recordEmit, name: name, kv: noescape(kv), buf: noescape(buf[:0])}
	if s.fn != nil {
		s.fn(lend(&d))
		return 0, true
	}
	d.encode()
	if s.flight != nil {
		return len(d.rec), s.flight.write(d.framed)
	}
	return len(d.rec), s.ring.write(d.framed)
}
