package jstrace

import (
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
	list []*Probe
	subs []*Subscription
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
	defer r.mu.Unlock()
	old := r.byName.Load()
	if old != nil {
		if p := (*old)[name]; p != nil {
			return p
		}
	}
	if limited && len(r.list) >= MaxProbes {
		r.full.Store(true)
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
	r.route(p)
	return p
}

// route recomputes which subscriptions p feeds; the caller holds mu.
func (r *registry) route(p *Probe) {
	var subs []*Subscription
	for _, s := range r.subs {
		if s.match(p.name) {
			subs = append(subs, s)
		}
	}
	if subs == nil {
		p.subs.Store(nil)
		return
	}
	p.subs.Store(&subs)
}

// reroute recomputes the routes of every probe; the caller holds mu.
func (r *registry) reroute() {
	for _, p := range r.list {
		r.route(p)
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
// probe name would have exceeded [MaxProbes].
func Unregistered() uint64 {
	return probes.overflow.Load()
}
