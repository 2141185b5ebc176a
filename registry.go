package jstrace

import (
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
)

// MaxProbes bounds the number of distinct probe names a process registers.
// Names created on the fly (jstrace.Trace("user:"+id)) would otherwise grow
// the registry without limit; beyond MaxProbes, new names are not registered
// and their events are counted by [Unregistered] instead of being delivered.
const MaxProbes = 10000

// probes is the process-wide probe registry: the only package-level state.
var probes registry

type registry struct {
	// active counts open subscriptions: Trace's first test.
	active atomic.Int32
	// byName is a copy-on-write snapshot of names for lock-free lookups.
	byName atomic.Pointer[map[string]*Probe]
	// overflow counts Trace calls for names refused because of MaxProbes.
	overflow atomic.Uint64
	// full is set once MaxProbes is reached, so that Trace calls with new
	// names stop taking the lock.
	full atomic.Bool

	mu   sync.Mutex // guards the fields below and writes of byName
	list []*Probe   // append-only: a copy of the slice header is a snapshot
	subs []*Subscription
	// chans holds the Channels by name: NewChannel returns one per name.
	chans map[string]*Channel
	// gen counts the changes of subs and of their match functions. Match
	// functions are untrusted work (a session's patterns): they run outside
	// mu, and a route computed meanwhile is stored only if gen is unchanged.
	gen uint64
}

// lookup returns the probe called name, registering it if needed; nil when
// the registry is full.
func (r *registry) lookup(name string) *Probe {
	if m := r.byName.Load(); m != nil {
		if p := (*m)[name]; p != nil {
			return p
		}
	}
	if r.full.Load() {
		r.overflow.Add(1)
		return nil
	}
	p := r.probe(name, true)
	if p == nil {
		r.overflow.Add(1)
	}
	return p
}

// probe returns the probe called name, registering it; nil if the registry
// is full. NewProbe always gets a probe: a probe declared in code is never
// refused, only names made up at run time are.
func (r *registry) probe(name string, limited bool) *Probe {
	r.mu.Lock()
	old := r.byName.Load()
	if old != nil {
		if p := (*old)[name]; p != nil {
			r.mu.Unlock()
			return p
		}
	}
	if limited && len(r.list) >= MaxProbes {
		r.full.Store(true)
		r.mu.Unlock()
		return nil
	}
	p := &Probe{name: name, prefix: appendString([]byte{recordEvent}, name)}
	m := make(map[string]*Probe, len(r.list)+1)
	for _, q := range r.list {
		m[q.name] = q
	}
	m[name] = p
	r.list = append(r.list, p)
	r.byName.Store(&m)
	r.mu.Unlock()
	// From here on, a change of the subscriptions sees p in r.list and
	// updates it too; the route computed below is stored only if there
	// was none meanwhile.
	r.route(p)
	return p
}

// A matcher is a subscription and the match function it had when gen was
// read.
type matcher struct {
	s     *Subscription
	match func(string) bool
}

// route computes which subscriptions p feeds, calling their match functions
// outside mu, and stores the result unless the subscriptions changed
// meanwhile, in which case it starts again.
func (r *registry) route(p *Probe) {
	var ms []matcher
	for {
		r.mu.Lock()
		gen := r.gen
		ms = ms[:0]
		for _, s := range r.subs {
			ms = append(ms, matcher{s, s.match})
		}
		r.mu.Unlock()
		var subs []*Subscription
		for _, m := range ms {
			if m.match(p.name) {
				subs = append(subs, m.s)
			}
		}
		r.mu.Lock()
		if r.gen == gen {
			p.store(subs)
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
	}
}

// update recomputes which probes feed s, whose match function the caller
// has just set. The caller holds mu; update releases it while the match
// function runs, and returns with it released. The result is stored
// unless s changed again meanwhile (a later update, or Close, then
// decides); probes registered meanwhile route themselves (see probe).
func (r *registry) update(s *Subscription) {
	r.gen++
	s.gen++
	gen, match, list := s.gen, s.match, r.list
	r.mu.Unlock()
	in := make([]bool, len(list))
	for i, p := range list {
		in[i] = match(p.name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s.gen != gen {
		return
	}
	for i, p := range list {
		p.member(s, in[i])
	}
}

// detach stops every probe from feeding s; the caller holds mu. It calls
// no match function.
func (r *registry) detach(s *Subscription) {
	r.gen++
	s.gen++ // an update of s under way stores nothing
	for _, p := range r.list {
		p.member(s, false)
	}
}

// store publishes the subscriptions p feeds; the caller holds mu. The
// slice is never written again: probes read it without a lock. The
// probe's Channel, if any, updates its Enabled flag.
func (p *Probe) store(subs []*Subscription) {
	was := p.Enabled()
	if len(subs) == 0 {
		p.subs.Store(nil)
	} else {
		p.subs.Store(&subs)
	}
	if p.ch != nil {
		p.ch.refresh()
	}
	if p.watch != nil && was != (len(subs) != 0) {
		p.callWatch(len(subs) != 0)
	}
}

// callWatch calls p's Watch function, with the registry locked. One that
// panics (a subscription change is the tracing session's doing, not the
// service's: it must not crash the service) is dropped and its panic
// reported once, through log/slog.Default.
func (p *Probe) callWatch(enabled bool) {
	defer func() {
		if v := recover(); v != nil {
			p.watch = nil
			slog.Default().Error("jstrace: a probe's Watch function panicked and was removed", "probe", p.name, "panic", fmt.Sprint(v))
		}
	}()
	p.watch(enabled)
}

// channel registers c, whose probes are registered, unless a Channel of
// its name exists, and returns the registered one.
func (r *registry) channel(c *Channel) *Channel {
	r.mu.Lock()
	defer r.mu.Unlock()
	if old := r.chans[c.name]; old != nil {
		return old
	}
	if r.chans == nil {
		r.chans = make(map[string]*Channel)
	}
	r.chans[c.name] = c
	for _, p := range []*Probe{c.start, c.end, c.asyncStart, c.asyncEnd, c.err} {
		p.ch = c
	}
	c.refresh()
	return c
}

// member makes p feed s or not; the caller holds mu.
func (p *Probe) member(s *Subscription, in bool) {
	var old []*Subscription
	if o := p.subs.Load(); o != nil {
		old = *o
	}
	i := slices.Index(old, s)
	switch {
	case (i >= 0) == in:
	case in:
		p.store(append(slices.Clip(old), s))
	default:
		p.store(slices.Delete(slices.Clone(old), i, i+1))
	}
}

// Probes returns the names of the registered probes, sorted.
func Probes() []string {
	probes.mu.Lock()
	names := make([]string, len(probes.list))
	for i, p := range probes.list {
		names[i] = p.name
	}
	probes.mu.Unlock()
	slices.Sort(names)
	return names
}

// Unregistered returns how many Trace calls were not delivered because their
// probe name would have exceeded [MaxProbes]. The agent tells each session
// how many it missed; a service may also export it as a metric.
func Unregistered() uint64 {
	return probes.overflow.Load()
}
