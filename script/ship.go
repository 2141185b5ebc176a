package script

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost/link"
)

// ShipEvery is how often traces.Ship sends an Aggregation's groups.
const ShipEvery = time.Second

// shipChunk bounds the encoded groups of one shipped record: more groups
// go in several records, each well under the agent's record limit.
const shipChunk = 512 << 10

// shipper is the host's side of Ship: the agent's engine. Ship with nil
// groups only checks that it could send.
type shipper interface {
	Ship(name string, g *protocol.Groups) error
}

// nativeScheduler is a host that schedules Go code of package script's
// own apart from the script's functions (the agent's engine, which lets
// go of its interpreter once it holds no function of the script's: see
// engine.Engine.Released).
type nativeScheduler interface {
	EveryNative(d time.Duration, fn func())
	OnCleanupNative(fn func())
}

// Ship sends, from Remote, the groups of a to Local: every ShipEvery and
// once more when the session ends, it takes them (as Take does: do not
// Take a elsewhere; Snapshot reads the current interval) and sends them,
// histograms included, where traces.Merged(name) in Local merges what
// every agent sent. name must be a plain name, no glob: choose one that
// no probe uses, as for Emit. Ship panics in Local, and when the CLI is
// too old to read shipped groups, or for a By or Of field name longer than
// 1 KiB. Keys longer than 1 KiB are cut to it.
func (t *Traces) Ship(name string, a *Aggregation) {
	if err := checkShipName(name); err != nil {
		panic("traces.Ship: " + err.Error())
	}
	if a == nil {
		panic("traces.Ship: nil Aggregation")
	}
	for _, f := range append(slices.Clip(a.s.names), a.spec.Of) {
		if len(f) > protocol.MaxGroupKey { // the CLI would refuse every record
			panic(fmt.Sprintf("traces.Ship: field name %.40q… of %d bytes: shipped names are at most %d", f, len(f), protocol.MaxGroupKey))
		}
	}
	sh, ok := t.host.(shipper)
	if !ok {
		panic("traces.Ship: this host cannot ship aggregations")
	}
	if err := sh.Ship(name, nil); err != nil {
		panic("traces.Ship: " + err.Error())
	}
	var missing, dropped int // what the last shipment reported
	ship := func() {
		gs := a.take()
		m, d := a.Missing(), a.Dropped()
		for i, g := range a.encode(gs, uint64(m-missing), uint64(d-dropped)) {
			if err := sh.Ship(name, g); err != nil {
				panic(fmt.Sprintf("traces.Ship(%q): chunk %d: %v", name, i, err))
			}
		}
		missing, dropped = m, d
	}
	if n, ok := t.host.(nativeScheduler); ok {
		n.EveryNative(ShipEvery, ship)
		n.OnCleanupNative(ship)
		return
	}
	t.host.Every(ShipEvery, ship)
	t.host.OnCleanup(ship)
}

// checkShipName checks that name is a plain probe-like name.
func checkShipName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case len(name) > protocol.MaxGroupKey:
		return fmt.Errorf("name of %d bytes, at most %d", len(name), protocol.MaxGroupKey)
	case strings.ContainsAny(name, `*?[]{}\`):
		return fmt.Errorf("name %q is a glob: ship under a plain name", name)
	}
	return nil
}

// encode turns taken groups into shipments of at most shipChunk bytes:
// at least one, so that Local sees every interval.
func (a *Aggregation) encode(gs map[string]*Group, missing, dropped uint64) []*protocol.Groups {
	head := protocol.Groups{By: a.s.names, Of: a.spec.Of, Hist: a.s.hist.kind, Lo: a.s.hist.lo, Step: a.s.hist.step, Buckets: a.s.hist.n}
	cur := head
	cur.Missing, cur.Dropped = missing, dropped
	out := []*protocol.Groups{&cur}
	size := 0
	for _, g := range sorted(gs) {
		pg := protocol.Group{Keys: cutKeys(g.Keys), Count: uint64(g.Count), Sum: g.Sum, Min: g.Min, Max: g.Max,
			Zeros: g.hist.zeros, Pos: protocol.Buckets{Off: g.hist.pos.off, N: g.hist.pos.n},
			Neg: protocol.Buckets{Off: g.hist.neg.off, N: g.hist.neg.n}}
		n := 64 + 10*(len(pg.Pos.N)+len(pg.Neg.N))
		for _, k := range pg.Keys {
			n += len(k) + 2
		}
		if size+n > shipChunk && len(out[len(out)-1].Groups) > 0 {
			next := head
			out, size = append(out, &next), 0
		}
		last := out[len(out)-1]
		last.Groups = append(last.Groups, pg)
		size += n
	}
	return out
}

// cutKeys cuts key parts to protocol.MaxGroupKey bytes.
func cutKeys(keys []string) []string {
	for i, k := range keys {
		if len(k) > protocol.MaxGroupKey {
			keys = append([]string(nil), keys...)
			keys[i] = k[:protocol.MaxGroupKey]
		}
	}
	return keys
}

// Merged returns, in Local, an Aggregation of what Remote's traces.Ship(name,
// …) sent from every agent: their groups merged by key, exactly for
// Count, Sum, Min and Max, and with histograms added bucket by bucket, so
// that quantiles are those of the union of every agent's traces, within
// the error of the Hist (see Group.Quantile). Take returns what arrived
// since the last Take (per interval); Snapshot returns what arrived
// since the last Take or ever, if the script never Takes (cumulative).
// Missing and Dropped add up what the agents reported. Groups of a
// different By, Of or Hist than the first shipment (another version of
// the script) are dropped. Like an Aggregation, Merged holds at most
// MaxGroups groups. Call it from Local; name is as given to Ship.
func (t *Traces) Merged(name string) *Aggregation {
	if err := checkShipName(name); err != nil {
		panic("traces.Merged: " + err.Error())
	}
	a := &Aggregation{shards: newShards(1), keys: map[string]int32{}, limits: link.AggLimits{MaxBytes: link.DefaultMaxAggregationBytes}}
	f := link.Feed[Trace]{Trace: a.addShipped, Event: func(jstrace.Event) {}, Limit: a.limit,
		Fields: func() link.FieldReport { return link.FieldReport{} }}
	if err := t.host.Aggregate(name, f); err != nil {
		panic(fmt.Sprintf("traces.Merged(%.80q): %v", name, err))
	}
	return a
}

// addShipped merges the groups a shipped record carries; other traces of
// the name are ignored.
func (a *Aggregation) addShipped(t *Trace) {
	v := t.lookup(protocol.GroupsField)
	if len(v) == 0 || protocol.Kind(v[0]) != protocol.KindGroups {
		return
	}
	x, _, err := protocol.DecodeValue(v)
	g, ok := x.(*protocol.Groups)
	if err != nil || !ok {
		return
	}
	sh := &a.shards[0] // a Merged aggregation's only shard: one goroutine feeds it
	sh.mu.Lock()
	defer sh.mu.Unlock()
	a.mu.Lock()
	shaped := a.shaped(g)
	a.mu.Unlock()
	if !shaped {
		for _, gr := range g.Groups {
			sh.dropped += int(gr.Count)
		}
		return
	}
	sh.missing += int(g.Missing)
	sh.dropped += int(g.Dropped)
	var kb [128]byte
	for i := range g.Groups {
		a.mergeShipped(sh, &g.Groups[i], kb[:0])
	}
}

// shaped reports whether g has a's By, Of and Hist, taking them from the
// first shipment; the caller holds mu and the shard's lock.
func (a *Aggregation) shaped(g *protocol.Groups) bool {
	h := layout{kind: g.Hist, lo: g.Lo, step: g.Step, n: int32(g.Buckets)}
	if !a.made {
		a.made = true
		a.s.names = g.By
		a.s.by = make([]rawKey, len(g.By))
		a.s.hist = h.hist()
		a.spec.Of = g.Of
		return true
	}
	return slices.Equal(g.By, a.s.names) && g.Of == a.spec.Of && h == layoutOf(a.s.hist)
}

// mergeShipped merges one shipped group into sh; the caller holds sh.mu. New groups
// are bounded as in an Aggregation; the buckets of existing ones grow
// within the span of a histogram.
func (a *Aggregation) mergeShipped(sh *aggShard, sg *protocol.Group, buf []byte) {
	key := a.joinKey(sg.Keys, buf)
	g := sh.groups[string(key)]
	if g == nil {
		need := groupCost + 3*int64(len(key)) + 8*int64(len(sg.Pos.N)+len(sg.Neg.N))
		if _, ok := a.addKey(sh, key, need); !ok {
			sh.dropped += int(sg.Count)
			return
		}
		// The decoded buckets are the group's own: adopted, not copied.
		g = &Group{Keys: sg.Keys, Key: strings.Join(sg.Keys, ","), Count: int(sg.Count), Sum: sg.Sum, Min: sg.Min, Max: sg.Max,
			hist: histogram{lay: layoutOf(a.s.hist), zeros: sg.Zeros,
				pos: buckets{off: sg.Pos.Off, n: sg.Pos.N}, neg: buckets{off: sg.Neg.Off, n: sg.Neg.N}}}
		g.mapKey = string(key)
		sh.groups[g.mapKey] = g
		return
	}
	if sg.Count == 0 {
		return
	}
	if g.Count == 0 {
		g.Min, g.Max = sg.Min, sg.Max
	}
	g.Count += int(sg.Count)
	g.Sum += sg.Sum
	g.Min, g.Max = math.Min(g.Min, sg.Min), math.Max(g.Max, sg.Max)
	before := 8 * int64(cap(g.hist.pos.n)+cap(g.hist.neg.n))
	g.hist.zeros += sg.Zeros
	g.hist.pos.merge(&buckets{off: sg.Pos.Off, n: sg.Pos.N})
	g.hist.neg.merge(&buckets{off: sg.Neg.Off, n: sg.Neg.N})
	if n := 8*int64(cap(g.hist.pos.n)+cap(g.hist.neg.n)) - before; n > 0 {
		a.mu.Lock()
		a.bytes += n
		a.limits.Pool.Hold(n)
		a.mu.Unlock()
		sh.bytes += n
	}
}
