package script_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/protocol"
	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/script"
)

// agentHost is a Remote's host that ships: it keeps the records Ship
// sends, and the Every and cleanup functions to run them by hand.
type agentHost struct {
	host
	records [][]byte
	ticks   []func()
	ends    []func()
	refuse  error
}

func (h *agentHost) Ship(name string, g *protocol.Groups) error {
	if h.refuse != nil || g == nil {
		return h.refuse
	}
	h.records = append(h.records, protocol.AppendGroupsRecord(nil, name, 1, g))
	return nil
}
func (h *agentHost) Every(d time.Duration, fn func()) { h.ticks = append(h.ticks, fn) }
func (h *agentHost) OnCleanup(fn func())              { h.ends = append(h.ends, fn) }

// remote is one agent: its Aggregation, shipped as "reqs".
type remote struct {
	h   *agentHost
	add func(*script.Trace)
}

func newRemote(spec script.Agg) *remote {
	h := &agentHost{}
	tr := scripthost.NewTraces(h)
	tr.Ship("reqs", tr.Aggregate("request:end", spec))
	return &remote{h: h, add: h.aggs[0].Trace}
}

// deliver hands what r shipped so far to Local's feed, as the CLI does.
func (r *remote) deliver(t *testing.T, local func(*script.Trace)) {
	for _, rec := range r.h.records {
		local(parse(t, rec))
	}
	r.h.records = nil
}

type event struct {
	route  string
	status int64
	v      float64
}

func (e event) record() []byte {
	f := field("v", protocol.KindFloat)
	f = append(f, make([]byte, 8)...)
	bits := math.Float64bits(e.v)
	for i := range 8 {
		f[len(f)-8+i] = byte(bits >> (8 * i))
	}
	return record("request:end", str("route", e.route), num("status", e.status), f)
}

// The property: whatever the split of events over agents and intervals,
// the merged groups are those of one Aggregation of every event (count,
// sum, min, max and every bucket), so their quantiles are within the
// Hist's error of the exact ones.
func TestMergedEqualsUnion(t *testing.T) {
	hists := []script.Hist{{}, script.Linear(0, 2000, 20), script.Pow2()}
	for seed := range uint64(12) {
		hist := hists[seed%3]
		t.Run(fmt.Sprint(seed, hist), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 99))
			spec := script.Agg{By: "route,status", Of: "v", Hist: hist}
			if seed%4 == 3 {
				spec.Where = "status>=300"
			}
			agents := make([]*remote, 1+r.IntN(6))
			for i := range agents {
				agents[i] = newRemote(spec)
			}
			union, addUnion := aggregate(t, spec)
			localHost := &host{}
			merged := scripthost.NewTraces(localHost).Merged("reqs")
			local := localHost.aggs[0].Trace
			exact := map[string][]float64{}
			for range 5000 + r.IntN(5000) {
				e := event{route: []string{"/a", "/b", "/c,d"}[r.IntN(3)], status: []int64{200, 302, 404, 500}[r.IntN(4)]}
				switch r.IntN(20) {
				case 0:
					e.v = 0
				case 1:
					e.v = -r.Float64() * 100
				default:
					e.v = math.Exp(r.NormFloat64() + 5) // around 150
				}
				rec := e.record()
				a := agents[r.IntN(len(agents))]
				a.add(parse(t, rec))
				addUnion(parse(t, rec))
				if e.status >= 300 || spec.Where == "" {
					k := e.route + "," + fmt.Sprint(e.status)
					exact[k] = append(exact[k], e.v)
				}
				if r.IntN(500) == 0 { // an interval ends on that agent
					a.h.ticks[0]()
					a.deliver(t, local)
				}
			}
			for _, a := range agents { // the session ends
				a.h.ends[0]()
				a.deliver(t, local)
			}
			got, want := merged.Take(), union.Take()
			if len(got) != len(want) || len(got) != len(exact) {
				t.Fatalf("%d merged groups, %d in the union, %d exact", len(got), len(want), len(exact))
			}
			for i, g := range got {
				u := want[i]
				vs := exact[g.Key]
				slices.Sort(vs)
				sum := 0.0
				for _, v := range vs {
					sum += v
				}
				if g.Key != u.Key || !slices.Equal(g.Keys, u.Keys) || g.Count != len(vs) || g.Min != vs[0] || g.Max != vs[len(vs)-1] ||
					math.Abs(g.Sum-sum) > 1e-9*math.Abs(sum)+1e-9 {
					t.Fatalf("merged %v (keys %q), want count %d min %g max %g sum %g", g, g.Keys, len(vs), vs[0], vs[len(vs)-1], sum)
				}
				if !slices.Equal(g.Buckets(), u.Buckets()) {
					t.Fatalf("%s: merged buckets %v\nunion's %v", g.Key, g.Buckets(), u.Buckets())
				}
				for _, q := range []float64{0, 0.01, 0.5, 0.9, 0.99, 0.999, 1} {
					x, ex := g.Quantile(q), vs[int(q*float64(len(vs)-1))]
					if x != u.Quantile(q) {
						t.Fatalf("%s p%g: merged %g, union %g", g.Key, q*100, x, u.Quantile(q))
					}
					if err := quantileError(hist, x, ex); err != "" {
						t.Fatalf("%s p%g = %g, exact %g: %s", g.Key, q*100, x, ex, err)
					}
				}
			}
		})
	}
}

// quantileError says how an estimate x of the exact quantile ex breaks the
// stated error of hist, if it does.
func quantileError(hist script.Hist, x, ex float64) string {
	switch hist.String() {
	case "log-linear":
		if math.Abs(x-ex) > math.Abs(ex)/32+1e-12 {
			return "off by more than 1/32"
		}
	case "Pow2()":
		if ex != 0 && (x/ex > 1.5 || x/ex < 1/1.5) {
			return "off by more than a factor of 1.5"
		}
		if ex == 0 && x != 0 {
			return "a zero estimated as not zero"
		}
	default: // Linear(0, 2000, 20): half a step inside the range
		if ex >= 0 && ex < 2000 && math.Abs(x-ex) > 10 {
			return "off by more than half a step"
		}
	}
	return ""
}

// Local's Take returns what arrived since the last Take: intervals add up
// to the whole; Missing and Dropped add up what the agents reported.
func TestMergedIntervals(t *testing.T) {
	a, b := newRemote(script.Agg{By: "route", Of: "v"}), newRemote(script.Agg{By: "route", Of: "v"})
	lh := &host{}
	merged := scripthost.NewTraces(lh).Merged("reqs")
	total := 0
	for round := range 3 {
		for i := range 10 * (round + 1) {
			a.add(parse(t, event{route: "/a", v: float64(i)}.record()))
			b.add(parse(t, event{route: "/a", v: float64(i)}.record()))
		}
		b.add(parse(t, record("request:end", str("route", "/a")))) // no v: missing
		a.h.ticks[0]()
		b.h.ticks[0]()
		a.deliver(t, lh.aggs[0].Trace)
		b.deliver(t, lh.aggs[0].Trace)
		gs := merged.Take()
		if len(gs) != 1 || gs[0].Count != 20*(round+1) {
			t.Fatalf("round %d: %v", round, gs)
		}
		total += gs[0].Count
	}
	if total != 120 || merged.Missing() != 3 {
		t.Fatalf("total %d, missing %d", total, merged.Missing())
	}
	if gs := merged.Take(); len(gs) != 0 {
		t.Fatalf("after the last Take: %v", gs)
	}
}

// Groups of another By or Hist than the first shipment's are dropped,
// never merged into the wrong buckets.
func TestMergedMismatch(t *testing.T) {
	a, b := newRemote(script.Agg{By: "route", Of: "v"}), newRemote(script.Agg{By: "route", Of: "v", Hist: script.Pow2()})
	lh := &host{}
	merged := scripthost.NewTraces(lh).Merged("reqs")
	a.add(parse(t, event{route: "/a", v: 1}.record()))
	b.add(parse(t, event{route: "/a", v: 1}.record()))
	b.add(parse(t, event{route: "/a", v: 2}.record()))
	for _, r := range []*remote{a, b} {
		r.h.ends[0]()
		r.deliver(t, lh.aggs[0].Trace)
	}
	if gs := merged.Take(); len(gs) != 1 || gs[0].Count != 1 || merged.Dropped() != 2 {
		t.Fatalf("groups %v, dropped %d", gs, merged.Dropped())
	}
}

// Ship refuses what it cannot do, at the call, in words.
func TestShipRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		ship func()
		want string
	}{
		{"in Local", func() {
			tr := scripthost.NewTraces(&host{})
			tr.Ship("reqs", tr.Aggregate("x", script.Agg{}))
		}, "cannot ship"},
		{"old CLI", func() {
			tr := scripthost.NewTraces(&agentHost{refuse: errString("the CLI predates shipped aggregations: upgrade jstrace")})
			tr.Ship("reqs", tr.Aggregate("x", script.Agg{}))
		}, "CLI predates"},
		{"glob", func() {
			tr := scripthost.NewTraces(&agentHost{})
			tr.Ship("reqs:*", tr.Aggregate("x", script.Agg{}))
		}, "is a glob"},
		{"merged glob", func() { scripthost.NewTraces(&host{}).Merged("{a,b}") }, "is a glob"},
		{"nil", func() { scripthost.NewTraces(&agentHost{}).Ship("reqs", nil) }, "nil Aggregation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if s, _ := recover().(string); !strings.Contains(s, tc.want) {
					t.Fatalf("panic %q, want %q", s, tc.want)
				}
			}()
			tc.ship()
		})
	}
}

// Many groups with wide histograms ship in several records, each under
// the agent's record limit, and merge whole.
func TestShipChunks(t *testing.T) {
	a := newRemote(script.Agg{By: "route", Of: "v"})
	for i := range script.MaxGroups {
		for j := range 10 {
			a.add(parse(t, event{route: fmt.Sprint(i), v: math.Ldexp(1, j)}.record()))
		}
	}
	a.h.ends[0]()
	if len(a.h.records) < 2 {
		t.Fatalf("%d records", len(a.h.records))
	}
	for _, rec := range a.h.records {
		if len(rec) > 1<<20 {
			t.Fatalf("record of %d bytes", len(rec))
		}
	}
	lh := &host{}
	merged := scripthost.NewTraces(lh).Merged("reqs")
	a.deliver(t, lh.aggs[0].Trace)
	if gs := merged.Take(); len(gs) != script.MaxGroups || gs[0].Count != 10 || merged.Dropped() != 0 {
		t.Fatalf("%d groups, dropped %d", len(gs), merged.Dropped())
	}
}

// FuzzMerged feeds Merged whatever groups an agent could send, twice:
// it never panics, and its groups answer every question.
func FuzzMerged(f *testing.F) {
	f.Add((&protocol.Groups{By: []string{"k"}, Hist: protocol.HistLinear, Step: 1, Buckets: 3,
		Groups: []protocol.Group{{Keys: []string{"a"}, Count: 2, Pos: protocol.Buckets{Off: -1, N: []uint64{1, 1}}}}}).Append(nil))
	f.Add((&protocol.Groups{Hist: protocol.HistPow2, Groups: []protocol.Group{{Count: 1, Neg: protocol.Buckets{Off: 60000, N: []uint64{1}}}}}).Append(nil))
	f.Fuzz(func(t *testing.T, p []byte) {
		var g protocol.Groups
		if g.Decode(p) != nil {
			return
		}
		lh := &host{}
		merged := scripthost.NewTraces(lh).Merged("reqs")
		for range 2 {
			tr, err := scripthost.ParseTrace(protocol.AppendGroupsRecord(nil, "reqs", 1, &g), origin)
			if err != nil {
				t.Fatal(err)
			}
			lh.aggs[0].Trace(tr)
		}
		for _, gr := range merged.Snapshot() {
			gr.Quantile(0.5)
			gr.Buckets()
			_ = gr.String()
		}
	})
}
