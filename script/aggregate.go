package script

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/jstrace-go/jstrace/protocol"
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
// at most 16 KiB.
const MaxGroups = 1000

// An Aggregation reduces the traces of matching probes as they arrive, in
// compiled code: no script code runs per trace, which makes it some ten
// times cheaper than a handler that does the same (see the README's
// figures). Script code reads the result when it wants to, typically from
// an Every callback:
//
//	reqs := traces.Aggregate("request:end", script.Agg{By: "status", Of: "duration"})
//	traces.Every(time.Second, func() {
//		for _, g := range reqs.Take() {
//			fmt.Printf("%s: %d, p99 %v\n", g.Key, g.Count, time.Duration(g.Quantile(0.99)))
//		}
//	})
//
// Like everything a script instance does, an Aggregation is updated and
// read on the script's goroutine, one call at a time: it needs no lock and
// must not be shared with another script instance.
type Aggregation struct {
	spec    Agg
	groups  map[string]*Group
	missing int
	dropped int
	key     []byte
}

func newAggregation(spec Agg) *Aggregation {
	return &Aggregation{spec: spec, groups: map[string]*Group{}}
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

// add aggregates one trace. It allocates only for a new group.
func (a *Aggregation) add(t *Trace) {
	v := 0.0
	if a.spec.Of != "" {
		var ok bool
		if v, ok = t.number(a.spec.Of); !ok {
			a.missing++
			return
		}
	}
	key := a.keyOf(t)
	g := a.groups[string(key)]
	if g == nil {
		if len(a.groups) >= MaxGroups {
			a.dropped++
			return
		}
		g = &Group{Key: string(key), Min: v, Max: v}
		a.groups[g.Key] = g
	}
	g.Count++
	if a.spec.Of != "" {
		g.Sum += v
		g.Min = math.Min(g.Min, v)
		g.Max = math.Max(g.Max, v)
		g.hist.add(v)
	}
}

// keyOf returns the trace's group key, in a.key's storage when it can.
func (a *Aggregation) keyOf(t *Trace) []byte {
	if a.spec.By == "" {
		return nil
	}
	v := t.lookup(a.spec.By)
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
			a.key = strconv.AppendInt(a.key[:0], x, 10)
			return a.key
		}
	case protocol.KindUint:
		if x, w := binary.Uvarint(v[1:]); w > 0 {
			a.key = strconv.AppendUint(a.key[:0], x, 10)
			return a.key
		}
	}
	a.key = append(a.key[:0], t.Str(a.spec.By)...)
	return a.key
}

// number returns the field key as a float64, if it is a finite number or
// a duration.
func (t *Trace) number(key string) (float64, bool) {
	var f float64
	switch s := t.scalar(key); s.kind {
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

// Take returns the groups, sorted by key, and starts over: the next Take
// returns what came after this one.
func (a *Aggregation) Take() []Group {
	gs := a.sorted(false)
	clear(a.groups)
	return gs
}

// Snapshot returns copies of the groups, sorted by key, and keeps
// aggregating into them.
func (a *Aggregation) Snapshot() []Group { return a.sorted(true) }

func (a *Aggregation) sorted(clone bool) []Group {
	gs := make([]Group, 0, len(a.groups))
	for _, g := range a.groups {
		c := *g
		if clone {
			c.hist = g.hist.clone()
		}
		gs = append(gs, c)
	}
	slices.SortFunc(gs, func(x, y Group) int { return strings.Compare(x.Key, y.Key) })
	return gs
}

// Missing returns how many traces lacked a numeric Of field, since the
// Aggregation started (Take does not reset it).
func (a *Aggregation) Missing() int { return a.missing }

// Dropped returns how many traces were left out because the Aggregation
// had MaxGroups groups, since it started.
func (a *Aggregation) Dropped() int { return a.dropped }

// Mean returns Sum/Count, or 0 for an empty group.
func (g Group) Mean() float64 {
	if g.Count == 0 {
		return 0
	}
	return g.Sum / float64(g.Count)
}

// Quantile returns the value below which a fraction q of the group's values
// fall (q = 0.5: the median, 0.99: the 99th percentile), to within ~3%: it
// is read from a histogram of 16 buckets per power of two. Quantile(0) is
// Min and Quantile(1) is Max, exactly. It is 0 without an Of field.
func (g Group) Quantile(q float64) float64 {
	n := g.hist.count()
	switch {
	case n == 0:
		return 0
	case q <= 0:
		return g.Min
	case q >= 1:
		return g.Max
	}
	return math.Min(math.Max(g.hist.quantile(q, n), g.Min), g.Max)
}

// Merge adds o's traces to g (keeping g's Key): the result is what one
// group would have kept of both. Groups merge exactly, so that a script can
// combine groups, say every status of 500 and over.
func (g *Group) Merge(o Group) {
	if o.Count == 0 {
		return
	}
	if g.Count == 0 || o.Min < g.Min {
		g.Min = o.Min
	}
	if g.Count == 0 || o.Max > g.Max {
		g.Max = o.Max
	}
	g.Count += o.Count
	g.Sum += o.Sum
	g.hist = g.hist.clone()
	g.hist.merge(&o.hist)
}

// String formats the group for printing: key, count, and the distribution
// when there is one.
func (g Group) String() string {
	if g.hist.count() == 0 {
		return fmt.Sprintf("%s: %d", g.Key, g.Count)
	}
	return fmt.Sprintf("%s: %d, min %g, mean %g, p50 %g, p99 %g, max %g",
		g.Key, g.Count, g.Min, g.Mean(), g.Quantile(0.5), g.Quantile(0.99), g.Max)
}
