package script

import (
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost/link"
)

// Agg says what an [Aggregation] reduces. The zero value counts traces.
type Agg struct {
	// By names the field whose value, formatted as Trace.Str formats it,
	// groups the traces, or several fields separated by commas
	// ("route,status", at most MaxBy): a group per combination of their
	// values. Traces without a field are grouped under "" for it.
	// Default: "", one group.
	By string
	// Of is the numeric field (integer, float or duration, in nanoseconds)
	// whose count, sum, minimum, maximum and distribution each group keeps.
	// Traces without a numeric value for it are counted in Missing and left
	// out. Default: "", counting only.
	Of string
	// Where, if set, keeps only the traces whose field satisfies it:
	// "field op value", op one of == != < <= > >=, value a number
	// ("status>=500"), a duration ("duration>250ms", compared in
	// nanoseconds) or a string ("method==GET", or quoted:
	// `route=="/a b"`; strings compare with == and != only). A trace
	// without the field, or whose value is not of the value's kind (a
	// string for a number), fails every comparison but !=. It is parsed
	// once, by traces.Aggregate, which panics on bad syntax, and
	// evaluated in compiled code. Left-out traces cost no lock and are
	// counted nowhere. Default: "", every trace.
	Where string
	// Hist is how groups cut the Of values into buckets, for quantiles
	// and Group.Buckets: Linear(lo, hi, step), Pow2(), or by default
	// (the zero Hist) log-linear.
	Hist Hist
}

// MaxGroups bounds the groups (keys) of one Aggregation; traces that would
// start another group are counted in Dropped. It keeps a By field with
// unbounded values (an id) from growing the traced process's memory: a
// group costs at most 32 KiB and its key, in each shard that holds it (an
// Aggregation fed from several cores keeps a copy per core that fed the
// key, at most 16, merged when read). The memory of the groups together is
// bounded too, every copy counted: to 4 MiB per Aggregation, and in Remote
// to a budget that a session's Aggregations share (the agent's
// MaxAggregationMemory option). Traces that would take more are dropped
// likewise.
const MaxGroups = protocol.MaxGroups

// An Aggregation reduces the traces of matching probes as they arrive, in
// compiled code: no script code runs per trace. In Remote it is fed on the
// goroutine that fires the probe, as DTrace aggregates in probe context:
// each event costs its probe well under a hundred nanoseconds (its plain
// fields are read as the probe was given them, never encoded), and is
// never buffered, handed to another goroutine or dropped. That makes it
// nearly ten times cheaper than a compiled handler that keeps the same
// distribution, and thirty times cheaper than an interpreted one (figures
// in bench/README.md). Script code reads the result when it wants to, typically from
// an Every callback:
//
//	reqs := traces.Aggregate("request:end", script.Agg{By: "status", Of: "duration"})
//	traces.Every(time.Second, func() {
//		for _, g := range reqs.Take() {
//			fmt.Printf("%s: %d, p99 %v\n", g.Key, g.Count, time.Duration(g.Quantile(0.99)))
//		}
//	})
//
// An Aggregation is safe for concurrent use: probes add to it under the
// lock of a shard of its groups (aggshard.go), which Take and Snapshot
// hold only for a moment, whatever the number of groups.
type Aggregation struct {
	spec Agg
	s    aggSpec // spec, parsed

	shards []aggShard

	// mu guards what the shards share, taken after a shard's lock on the
	// rare paths (a new group, a histogram's growth, a noted key).
	mu      sync.Mutex
	dropped int              // traces left out but by a shard (see drop)
	bytes   int64            // what every shard's groups and keys hold (see groupCost, keyCost)
	limits  link.AggLimits   // the bounds of bytes
	keys    map[string]int32 // the groups' keys: how many shards hold each (MaxGroups bounds the keys)

	// What FieldReport says, guarded by mu: whether a group was ever
	// made, one with a key, and the keys noted (see wantKeys; noted is
	// read without the lock).
	made, keyed bool
	noted       atomic.Int32
	seen        []string
	// And, set by the probes without the lock: whether a trace had each
	// of several By fields, and whether one had the Where field, or not.
	bySeen                 [MaxBy]atomic.Bool
	byMissed               atomic.Bool
	whereSeen, whereMissed atomic.Bool
}

func newAggregation(spec Agg) (*Aggregation, error) {
	s, err := parseAgg(spec)
	if err != nil {
		return nil, err
	}
	return &Aggregation{spec: spec, s: s, shards: newShards(shardCount()), keys: map[string]int32{},
		limits: link.AggLimits{MaxBytes: link.DefaultMaxAggregationBytes}}, nil
}

// limit sets the Aggregation's memory bounds: its host's Feed.Limit.
func (a *Aggregation) limit(l link.AggLimits) {
	if l.MaxBytes <= 0 {
		l.MaxBytes = link.DefaultMaxAggregationBytes
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.limits.Pool.Give(a.bytes)
	l.Pool.Hold(a.bytes) // hosts limit before feeding: a.bytes is 0
	a.limits = l
}

// charge reserves n more bytes for the groups of sh, if both bounds allow
// them; the caller holds sh.mu.
func (a *Aggregation) charge(sh *aggShard, n int64) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.chargeLocked(n) {
		return false
	}
	sh.bytes += n
	return true
}

// chargeLocked reserves n bytes; the caller holds mu.
func (a *Aggregation) chargeLocked(n int64) bool {
	if a.bytes+n > a.limits.MaxBytes || !a.limits.Pool.Take(n) {
		return false
	}
	a.bytes += n
	return true
}

// keyCost is what the shards' shared set of keys costs for one key.
func keyCost(key string) int64 { return int64(len(key)) + 48 }

// addKey reserves what a new group of key in sh costs (need, and the key's
// place in the shared set if no shard has it yet), if MaxGroups and the
// memory bounds allow; the caller holds sh.mu. It returns the key as the
// set holds it.
func (a *Aggregation) addKey(sh *aggShard, key []byte, need int64) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	n, held := a.keys[string(key)]
	if !held && len(a.keys) >= MaxGroups {
		return "", false
	}
	k := string(key)
	if !held && !a.chargeLocked(keyCost(k)) {
		return "", false
	}
	if !a.chargeLocked(need) {
		if !held {
			a.bytes -= keyCost(k)
			a.limits.Pool.Give(keyCost(k))
		}
		return "", false
	}
	sh.bytes += need
	a.keys[k] = n + 1
	return k, true
}

// dropKeys ends the shards' hold of the keys of groups taken from one; the
// caller holds mu.
func (a *Aggregation) dropKeys(gs map[string]*Group) {
	for k := range gs {
		if n := a.keys[k] - 1; n > 0 {
			a.keys[k] = n
			continue
		}
		delete(a.keys, k)
		a.bytes -= keyCost(k)
		a.limits.Pool.Give(keyCost(k))
	}
}

// A Group is what an Aggregation kept of the traces with one key.
type Group struct {
	// Key is the By field's value; with several By fields, their values
	// joined by commas ("/api,200"); "" when not grouping.
	Key string
	// Keys are the By fields' values, one per field, in Agg.By's order;
	// nil when not grouping.
	Keys  []string
	Count int     // traces aggregated
	Sum   float64 // of the Of field's values (0 without Of)
	Min   float64
	Max   float64
	hist  histogram
	// mapKey is the group's key in its shard's map: Key with one By
	// field, the values' encoding (splitKey) with several.
	mapKey string
}

// update adds v (when ok; else counts a missing Of) to the group of key.
// It reports whether the caller should note the trace's keys (wantKeys).
func (a *Aggregation) update(key []byte, v float64, ok bool) (note bool) {
	si := procPin() & (len(a.shards) - 1) // the P's shard (aggshard.go)
	procUnpin()
	sh := &a.shards[si]
	if !sh.mu.TryLock() {
		sh = a.lockBusy(si)
	}
	defer sh.mu.Unlock()
	if !ok {
		sh.missing++
		return a.wantKeys(ok, false, key)
	}
	g := sh.group(key)
	fresh := g == nil
	if fresh {
		if g = a.newGroup(sh, key, v); g == nil {
			sh.dropped++
			return false
		}
		sh.remember(key, g)
		note = a.wantKeys(ok, fresh, key)
	}
	if a.spec.Of == "" {
		g.Count++
		return note
	}
	b, i := g.hist.slot(v)
	if b != nil && !fresh { // a fresh group's first buckets are paid for
		if n := b.growth(i); n > 0 && !a.charge(sh, n) {
			sh.dropped++
			return note
		}
	}
	g.Count++
	g.Sum += v
	g.Min, g.Max = minf(g.Min, v), maxf(g.Max, v)
	if b != nil {
		b.add(i, 1)
	} else {
		g.hist.zeros++
	}
	return note
}

// minf and maxf are math.Min and math.Max for values that are not NaN,
// signed zeros included, in code the compiler inlines (math's are calls
// to assembly, on the probe's path).
func minf(x, y float64) float64 {
	if y < x || y == x && math.Signbit(y) {
		return y
	}
	return x
}

func maxf(x, y float64) float64 {
	if y > x || y == x && !math.Signbit(y) {
		return y
	}
	return x
}

// A lineGroup is a Group alone on its cache lines: 192 bytes, a size class
// whose objects start on a line, so that the groups of two shards, written
// by two cores, never share one (a Group was 176 bytes before it held
// its map key: two shards' groups of one key, allocated one after the
// other, shared a line and cost twice as much as one goroutine's when two
// cores fed them). The padding comes first: a zero-length array last
// would grow the struct by a word, to 200 bytes and the 208-byte class,
// whose objects straddle lines (TestLineGroupSize). The build fails if a
// Group outgrows 192 bytes.
type lineGroup struct {
	_ [192 - unsafe.Sizeof(Group{})]byte
	Group
}

// groupCost is what a group costs besides its key's bytes and its
// distribution's buckets: the Group, its map entry and pointer.
const groupCost = 224

// newGroup adds the group of key to sh, if MaxGroups and the memory
// bounds allow it and the first value v it counts; the caller holds sh.mu.
func (a *Aggregation) newGroup(sh *aggShard, key []byte, v float64) *Group {
	a.mu.Lock()
	a.made = true
	a.keyed = a.keyed || len(key) > 0
	a.mu.Unlock()
	need := groupCost + int64(len(key))
	if len(a.s.by) > 1 {
		need += 2 * int64(len(key)) // Key and Keys besides the map's key
	}
	if a.spec.Of != "" && (v != 0 || a.s.hist.kind == protocol.HistLinear) {
		need += 8 * initialBuckets // the buckets that count v (Linear counts 0 in them)
	}
	k, ok := a.addKey(sh, key, need)
	if !ok {
		return nil
	}
	lg := &lineGroup{Group: Group{Min: v, Max: v, hist: histogram{lay: layoutOf(a.s.hist)}}}
	g := &lg.Group
	g.Keys, g.Key = a.splitKey(key)
	g.mapKey = k
	if len(a.s.by) == 1 {
		g.mapKey = g.Key // the same string
	}
	sh.groups[g.mapKey] = g
	return g
}

// numberOf returns an encoded value as a float64, if it is a finite number
// or a duration.
func numberOf(v []byte) (float64, bool) {
	var f float64
	switch s := scalarOf(v); s.kind {
	case protocol.KindInt, protocol.KindDuration:
		f = float64(s.i)
	case protocol.KindUint:
		f = float64(s.u)
	case protocol.KindFloat:
		f = s.f
	default:
		return 0, false
	}
	return f, !math.IsNaN(f) && !math.IsInf(f, 0)
}

// take swaps each shard's groups for an empty map, under its lock, and
// gives their memory back: probes wait for that only, never for the
// merging, sorting or copying that follows. The groups are the caller's:
// no probe reaches them now.
func (a *Aggregation) take() map[string]*Group {
	var all map[string]*Group
	for i := range a.shards {
		sh := &a.shards[i]
		sh.mu.Lock()
		gs := sh.groups
		sh.groups = make(map[string]*Group, len(gs))
		sh.recent = recentGroups{}
		a.mu.Lock()
		a.bytes -= sh.bytes
		a.limits.Pool.Give(sh.bytes)
		a.dropKeys(gs)
		a.mu.Unlock()
		sh.bytes = 0
		sh.mu.Unlock()
		if all == nil {
			all = gs
		} else {
			mergeInto(all, gs)
		}
	}
	return all
}

// Take returns the groups, sorted by key, and starts over: the next Take
// returns what came after this one.
func (a *Aggregation) Take() []Group { return sorted(a.take()) }

// Snapshot returns copies of the groups, sorted by key, and keeps
// aggregating into them. Each group is copied under its shard's lock on
// its own, so that probes never wait for the copy of them all; the groups
// stay in place, within MaxGroups and the memory bounds.
func (a *Aggregation) Snapshot() []Group {
	all := map[string]*Group{}
	for i := range a.shards {
		sh := &a.shards[i]
		sh.mu.Lock()
		keys := make([]string, 0, len(sh.groups))
		ptrs := make([]*Group, 0, len(sh.groups))
		for k, g := range sh.groups {
			keys, ptrs = append(keys, k), append(ptrs, g)
		}
		sh.mu.Unlock()
		for j, g := range ptrs {
			// A Take meanwhile hands g to a caller that only reads it: the
			// probes, which write it under sh.mu, no longer reach it.
			sh.mu.Lock()
			c := *g
			c.hist = g.hist.clone()
			sh.mu.Unlock()
			if d := all[keys[j]]; d != nil {
				d.Merge(c)
			} else {
				all[keys[j]] = &c
			}
		}
	}
	return sorted(all)
}

func sorted(groups map[string]*Group) []Group {
	gs := make([]Group, 0, len(groups))
	for _, g := range groups {
		gs = append(gs, *g)
	}
	sortGroups(gs)
	return gs
}

func sortGroups(gs []Group) {
	slices.SortFunc(gs, func(x, y Group) int { return strings.Compare(x.Key, y.Key) })
}

// Missing returns how many traces lacked a numeric Of field, since the
// Aggregation started (Take does not reset it).
func (a *Aggregation) Missing() int {
	return a.sumShards(func(sh *aggShard) int { return sh.missing })
}

// sumShards adds up f of every shard, each read under its lock.
func (a *Aggregation) sumShards(f func(sh *aggShard) int) int {
	n := 0
	for i := range a.shards {
		sh := &a.shards[i]
		sh.mu.Lock()
		n += f(sh)
		sh.mu.Unlock()
	}
	return n
}

// Dropped returns how many traces were left out because the Aggregation
// had MaxGroups groups or held all the memory it may (see MaxGroups), since
// it started.
func (a *Aggregation) Dropped() int {
	n := a.sumShards(func(sh *aggShard) int { return sh.dropped })
	a.mu.Lock()
	defer a.mu.Unlock()
	return n + a.dropped
}
