package script

import (
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost/link"
)

// Agg says what an [Aggregation] reduces. The zero value counts traces.
type Agg struct {
	// By is the field whose value, formatted as Trace.Str formats it,
	// groups the traces; traces without it are grouped under "". Default:
	// "", one group.
	By string
	// Of is the numeric field (integer, float or duration, in nanoseconds)
	// whose count, sum, minimum, maximum and distribution each group keeps.
	// Traces without a numeric value for it are counted in Missing and left
	// out. Default: "", counting only.
	Of string
}

// MaxGroups bounds the groups of one Aggregation; traces that would start
// another group are counted in Dropped. It keeps a By field with unbounded
// values (an id) from growing the traced process's memory: a group costs
// at most 32 KiB and its key. The memory of the groups together is bounded
// too: to 4 MiB per Aggregation, and in Remote to a budget that a
// session's Aggregations share (the agent's MaxAggregationMemory option).
// Traces that would take more are dropped likewise.
const MaxGroups = 1000

// An Aggregation reduces the traces of matching probes as they arrive, in
// compiled code: no script code runs per trace. In Remote it is fed on the
// goroutine that fires the probe, as DTrace aggregates in probe context:
// each event costs its probe some hundred nanoseconds (its plain fields
// are read as the probe was given them, never encoded), and is never
// buffered, handed to another goroutine or dropped. That makes it some
// twenty times cheaper than a handler that does the same (figures in
// bench/README.md). Script code reads the result when it wants to, typically from
// an Every callback:
//
//	reqs := traces.Aggregate("request:end", script.Agg{By: "status", Of: "duration"})
//	traces.Every(time.Second, func() {
//		for _, g := range reqs.Take() {
//			fmt.Printf("%s: %d, p99 %v\n", g.Key, g.Count, time.Duration(g.Quantile(0.99)))
//		}
//	})
//
// An Aggregation is safe for concurrent use: probes add to it under a lock
// that Take and Snapshot hold only for a moment, whatever the number of
// groups.
type Aggregation struct {
	spec   Agg
	by, of rawKey // the raw keys of spec.By and spec.Of

	mu      sync.Mutex
	groups  map[string]*Group // guarded by mu
	missing int               // guarded by mu
	dropped int               // guarded by mu
	bytes   int64             // what groups hold (see groupCost); guarded by mu
	limits  link.AggLimits    // guarded by mu

	// What FieldReport says, guarded by mu: whether a group was ever
	// made, one with a key, and the keys noted (see wantKeys).
	made, keyed bool
	noted       int
	seen        []string
}

func newAggregation(spec Agg) *Aggregation {
	return &Aggregation{spec: spec, by: rawKeyOf(spec.By), of: rawKeyOf(spec.Of), groups: map[string]*Group{},
		limits: link.AggLimits{MaxBytes: link.DefaultMaxAggregationBytes}}
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

// charge reserves n more bytes for the groups, if both bounds allow them;
// the caller holds mu.
func (a *Aggregation) charge(n int64) bool {
	if a.bytes+n > a.limits.MaxBytes || !a.limits.Pool.Take(n) {
		return false
	}
	a.bytes += n
	return true
}

// A Group is what an Aggregation kept of the traces with one key.
type Group struct {
	Key   string  // the By field's value; "" when not grouping
	Count int     // traces aggregated
	Sum   float64 // of the Of field's values (0 without Of)
	Min   float64
	Max   float64
	hist  histogram
}

// addEvent aggregates one event as its probe fires it, on the probe's
// goroutine: from its fields as given when they are plain (no encoding,
// no decoding), else from its record. It allocates only for a new group,
// and never panics.
func (a *Aggregation) addEvent(e jstrace.Event) {
	defer func() {
		if recover() != nil { // cannot happen: the process encoded the record itself
			a.drop()
		}
	}()
	if kv, plain := e.Args(); plain {
		var kb [maxPlainKey]byte
		if key, v, ok, done := a.plain(kv, kb[:0]); done {
			if a.update(key, v, ok) {
				a.noteArgs(kv)
			}
			return
		}
	}
	rec := e.Record()
	if rec == nil { // over jstrace.MaxRecordSize
		a.drop()
		return
	}
	d := recordHeader(rec)
	if d.err != nil {
		return
	}
	t := Trace{fields: d.fields}
	a.add(&t)
}

// drop counts an event left out.
func (a *Aggregation) drop() {
	a.mu.Lock()
	a.dropped++
	a.mu.Unlock()
}

// maxPlainKey is the longest By string that plain groups by: longer ones
// take the record's way, which has the storage for them.
const maxPlainKey = 64

// plain reads the By and Of fields from plain fields (jstrace.Event.Args)
// as the record would present them; done is false when it cannot (a By
// value that is not a string or an integer, or a long string): the caller
// then decodes the record.
func (a *Aggregation) plain(kv []any, buf []byte) (key []byte, v float64, ok, done bool) {
	var by, of any
	for i := 0; i+1 < len(kv); i += 2 {
		k, _ := kv[i].(string)
		if a.by.ok && k == a.by.key {
			by = kv[i+1]
		}
		if a.of.ok && k == a.of.key {
			of = kv[i+1]
		}
	}
	if by != nil {
		switch x := by.(type) {
		case string:
			if len(x) > maxPlainKey {
				return nil, 0, false, false
			}
			key = append(buf, x...)
		case int:
			key = strconv.AppendInt(buf, int64(x), 10)
		case int64:
			key = strconv.AppendInt(buf, x, 10)
		case int32:
			key = strconv.AppendInt(buf, int64(x), 10)
		case uint:
			key = strconv.AppendUint(buf, uint64(x), 10)
		case uint64:
			key = strconv.AppendUint(buf, x, 10)
		case uint32:
			key = strconv.AppendUint(buf, uint64(x), 10)
		default: // bools, floats, durations, small ints: formatted as Str does
			return nil, 0, false, false
		}
	}
	ok = true
	if a.spec.Of != "" {
		v, ok = plainNumber(of)
	}
	return key, v, ok, true
}

// plainNumber is numberOf for a plain value.
func plainNumber(x any) (float64, bool) {
	var f float64
	switch x := x.(type) {
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case int32:
		f = float64(x)
	case int16:
		f = float64(x)
	case int8:
		f = float64(x)
	case uint:
		f = float64(x)
	case uint64:
		f = float64(x)
	case uint32:
		f = float64(x)
	case uint16:
		f = float64(x)
	case uint8:
		f = float64(x)
	case uintptr:
		f = float64(x)
	case float64:
		f = x
	case float32:
		f = float64(x)
	case time.Duration:
		f = float64(x)
	default: // strings, bools, missing
		return 0, false
	}
	return f, !math.IsNaN(f) && !math.IsInf(f, 0)
}

// add aggregates one trace. It allocates only for a new group.
func (a *Aggregation) add(t *Trace) {
	by, of := t.lookup2(a.by, a.of) // one pass over the fields
	v, ok := 0.0, true
	if a.spec.Of != "" {
		v, ok = numberOf(of)
	}
	var kb [24]byte
	if a.update(a.keyOf(t, by, kb[:0]), v, ok) {
		a.noteFields(t.fields)
	}
}

// update adds v (when ok; else counts a missing Of) to the group of key.
// It reports whether the caller should note the trace's keys (wantKeys).
func (a *Aggregation) update(key []byte, v float64, ok bool) (note bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !ok {
		a.missing++
		return a.wantKeys(ok, false, key)
	}
	g := a.groups[string(key)]
	fresh := g == nil
	if fresh {
		if g = a.newGroup(key, v); g == nil {
			a.dropped++
			return false
		}
		note = a.wantKeys(ok, fresh, key)
	}
	if a.spec.Of == "" {
		g.Count++
		return note
	}
	b, i := g.hist.slot(v)
	if b != nil && !fresh { // a fresh group's first buckets are paid for
		if n := b.growth(i); n > 0 && !a.charge(n) {
			a.dropped++
			return note
		}
	}
	g.Count++
	g.Sum += v
	g.Min = math.Min(g.Min, v)
	g.Max = math.Max(g.Max, v)
	if b != nil {
		b.add(i, 1)
	} else {
		g.hist.zeros++
	}
	return note
}

// groupCost is what a group costs besides its key's bytes and its
// distribution's buckets: the Group, its map entry and pointer.
const groupCost = 160

// newGroup adds the group of key, if MaxGroups and the memory bounds allow
// it and the first value v it counts; the caller holds mu.
func (a *Aggregation) newGroup(key []byte, v float64) *Group {
	a.made = true
	a.keyed = a.keyed || len(key) > 0
	if len(a.groups) >= MaxGroups {
		return nil
	}
	need := groupCost + int64(len(key))
	if a.spec.Of != "" && v != 0 {
		need += 8 * initialBuckets
	}
	if !a.charge(need) {
		return nil
	}
	g := &Group{Key: string(key), Min: v, Max: v}
	a.groups[g.Key] = g
	return g
}

// keyOf returns the trace's group key from v, the By field's encoded value:
// in the record's storage, in buf's, or (for kinds other than strings and
// integers) a new string.
func (a *Aggregation) keyOf(t *Trace, v, buf []byte) []byte {
	if len(v) == 0 {
		return nil
	}
	switch protocol.Kind(v[0]) {
	case protocol.KindString, protocol.KindBytes, protocol.KindError:
		if n, w := binary.Uvarint(v[1:]); w > 0 && uint64(len(v)-1-w) >= n {
			return v[1+w : 1+w+int(n)]
		}
	case protocol.KindInt:
		if x, w := binary.Varint(v[1:]); w > 0 {
			return strconv.AppendInt(buf, x, 10)
		}
	case protocol.KindUint:
		if x, w := binary.Uvarint(v[1:]); w > 0 {
			return strconv.AppendUint(buf, x, 10)
		}
	}
	return append(buf, t.Str(a.spec.By)...)
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

// take swaps the groups for an empty map, under the lock, and gives their
// memory back: probes wait for that only, never for the sorting or copying
// that follows. The groups are the caller's: no probe reaches them now.
func (a *Aggregation) take() map[string]*Group {
	a.mu.Lock()
	defer a.mu.Unlock()
	gs := a.groups
	a.groups = make(map[string]*Group, len(gs))
	a.limits.Pool.Give(a.bytes)
	a.bytes = 0
	return gs
}

// Take returns the groups, sorted by key, and starts over: the next Take
// returns what came after this one.
func (a *Aggregation) Take() []Group { return sorted(a.take()) }

// Snapshot returns copies of the groups, sorted by key, and keeps
// aggregating into them. Each group is copied under the lock on its own,
// so that probes never wait for the copy of them all; the groups stay in
// place, within MaxGroups and the memory bounds.
func (a *Aggregation) Snapshot() []Group {
	a.mu.Lock()
	ptrs := make([]*Group, 0, len(a.groups))
	for _, g := range a.groups {
		ptrs = append(ptrs, g)
	}
	a.mu.Unlock()
	gs := make([]Group, len(ptrs))
	for i, g := range ptrs {
		// A Take meanwhile hands g to a caller that only reads it: the
		// probes, which write it under mu, no longer reach it.
		a.mu.Lock()
		gs[i] = *g
		gs[i].hist = g.hist.clone()
		a.mu.Unlock()
	}
	sortGroups(gs)
	return gs
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
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.missing
}

// Dropped returns how many traces were left out because the Aggregation
// had MaxGroups groups or held all the memory it may (see MaxGroups), since
// it started.
func (a *Aggregation) Dropped() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.dropped
}
