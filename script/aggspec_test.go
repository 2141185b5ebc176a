package script_test

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/script"
)

// Bad specs fail traces.Aggregate, in Remote at load, naming the mistake.
func TestAggregateBadSpec(t *testing.T) {
	for _, tc := range []struct {
		spec script.Agg
		want string
	}{
		{script.Agg{Where: "status"}, "want field, operator"},
		{script.Agg{Where: ">=500"}, "missing field name"},
		{script.Agg{Where: "status>="}, "missing value"},
		{script.Agg{Where: "status=500"}, "bad operator"},
		{script.Agg{Where: "method<GET"}, "< needs a number"},
		{script.Agg{Where: `route=="/a`}, "bad quoted value"},
		{script.Agg{Where: "a==b c"}, "quote a string"},
		{script.Agg{By: "route,,status"}, "empty field name"},
		{script.Agg{By: "a,b,c,d,e,f,g,h,i"}, "at most 8"},
		{script.Agg{Hist: script.Linear(0, 100, 0)}, "step 0 must be positive"},
		{script.Agg{Hist: script.Linear(10, 0, 1)}, "must be above lo"},
		{script.Agg{Hist: script.Linear(0, 1e6, 1)}, "at most 1000"},
		{script.Agg{Hist: script.Linear(0, math.Inf(1), 1)}, "finite"},
	} {
		t.Run(tc.spec.By+tc.spec.Where+tc.spec.Hist.String(), func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, tc.want) || !strings.HasPrefix(s, "traces.Aggregate(") {
					t.Fatalf("panic %v, want one with %q", r, tc.want)
				}
			}()
			scripthost.NewTraces(&host{}).Aggregate("request:end", tc.spec)
		})
	}
}

// Where keeps the traces whose field satisfies it, on both feeds.
func TestAggregateWhere(t *testing.T) {
	events := [][]any{
		{"status", 200, "method", "GET", "duration", time.Millisecond},
		{"status", 500, "method", "GET", "duration", 2 * time.Millisecond},
		{"status", 503, "method", "POST", "duration", 300 * time.Millisecond},
		{"status", "n/a", "method", "GET"},
		{"method", "PUT"},
	}
	for _, tc := range []struct {
		where string
		want  int
	}{
		{"status>=500", 2},
		{"status >= 500", 2},
		{"status<500", 1},
		{"status==200", 1},
		{"status!=200", 4}, // missing and non-numeric fields differ from 200
		{"method==GET", 3},
		{`method=="POST"`, 1},
		{"method!=GET", 2},
		{"duration>250ms", 1},
		{"duration<=2ms", 2},
		{"missing==x", 0},
		{"missing!=x", 5},
	} {
		t.Run(tc.where, func(t *testing.T) {
			name := "wheretest:" + tc.where
			byEvent := fed(t, name, script.Agg{Where: tc.where})
			byTrace, move := decoded(t, name, script.Agg{Where: tc.where})
			p := jstrace.NewProbe(name)
			for _, kv := range events {
				p.Emit(kv...)
			}
			move()
			for way, a := range map[string]*script.Aggregation{"event": byEvent, "trace": byTrace} {
				got := 0
				for _, g := range a.Take() {
					got += g.Count
				}
				if got != tc.want {
					t.Errorf("by %s: %d traces, want %d", way, got, tc.want)
				}
			}
		})
	}
}

// Several By fields make a group per combination of values.
func TestAggregateMultiBy(t *testing.T) {
	a := fed(t, "multibytest:end", script.Agg{By: "route, status", Of: "duration"})
	p := jstrace.NewProbe("multibytest:end")
	p.Emit("route", "/a", "status", 200, "duration", time.Millisecond)
	p.Emit("route", "/a", "status", 200, "duration", 3*time.Millisecond)
	p.Emit("route", "/a", "status", 500, "duration", time.Millisecond)
	p.Emit("route", "/b,c", "duration", time.Millisecond) // no status; a comma in a value
	p.Emit("status", 200, "route", "/a", "duration", 5*time.Millisecond)
	gs := a.Take()
	type kc struct {
		Key   string
		Keys  []string
		Count int
	}
	var got []kc
	for _, g := range gs {
		got = append(got, kc{g.Key, g.Keys, g.Count})
	}
	want := []kc{{"/a,200", []string{"/a", "200"}, 3}, {"/a,500", []string{"/a", "500"}, 1}, {"/b,c,", []string{"/b,c", ""}, 1}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("groups %+v, want %+v", got, want)
	}
	if gs[0].Max != float64(5*time.Millisecond) || gs[0].Sum != float64(9*time.Millisecond) {
		t.Fatalf("group %v", gs[0])
	}
}

// Linear and Pow2 histograms count values in the buckets of DTrace's
// lquantize and quantize.
func TestHistBuckets(t *testing.T) {
	for _, tc := range []struct {
		hist   script.Hist
		values []float64
		want   []script.Bucket
	}{
		{script.Linear(0, 30, 10), []float64{-1, 0, 9.9, 10, 25, 30, 1e9},
			[]script.Bucket{{math.Inf(-1), 0, 1}, {0, 10, 2}, {10, 20, 1}, {20, 30, 1}, {30, math.Inf(1), 2}}},
		{script.Linear(100, 200, 25), []float64{150, 160, 199},
			[]script.Bucket{{150, 175, 2}, {175, 200, 1}}},
		{script.Pow2(), []float64{1, 3, 3, 9, 0, -2},
			[]script.Bucket{{-4, -2, 1}, {0, 0, 1}, {1, 2, 1}, {2, 4, 2}, {4, 8, 0}, {8, 16, 1}}},
		{script.Hist{}, []float64{1, 1.01, 2},
			[]script.Bucket{{1, 1.0625, 2}}}, // then empty ones up to 2's: checked below
	} {
		t.Run(tc.hist.String(), func(t *testing.T) {
			name := "histtest:" + tc.hist.String()
			a := fed(t, name, script.Agg{Of: "v", Hist: tc.hist})
			p := jstrace.NewProbe(name)
			for _, v := range tc.values {
				p.Emit("v", v)
			}
			gs := a.Take()
			if len(gs) != 1 || gs[0].Count != len(tc.values) {
				t.Fatalf("groups %v", gs)
			}
			got := gs[0].Buckets()
			if tc.hist == (script.Hist{}) {
				if got[0] != tc.want[0] || got[len(got)-1] != (script.Bucket{Lo: 2, Hi: 2.125, Count: 1}) || len(got) != 17 {
					t.Fatalf("buckets %v", got)
				}
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("buckets %v\nwant %v", got, tc.want)
			}
		})
	}
}

// Quantiles of Linear histograms are within half a step; of Pow2 within a
// factor of 1.5.
func TestHistQuantiles(t *testing.T) {
	lin := fed(t, "histq:linear", script.Agg{Of: "v", Hist: script.Linear(0, 1000, 10)})
	pow := fed(t, "histq:pow2", script.Agg{Of: "v", Hist: script.Pow2()})
	pl, pp := jstrace.NewProbe("histq:linear"), jstrace.NewProbe("histq:pow2")
	for i := 1; i <= 1000; i++ {
		pl.Emit("v", i)
		pp.Emit("v", i)
	}
	l, p := lin.Take()[0], pow.Take()[0]
	for _, q := range []float64{0.1, 0.5, 0.9, 0.99} {
		exact := float64(int(q*999) + 1)
		if got := l.Quantile(q); math.Abs(got-exact) > 5 {
			t.Errorf("linear p%g = %g, want %g ± 5", q*100, got, exact)
		}
		if got := p.Quantile(q); got < exact/1.5 || got > exact*1.5 {
			t.Errorf("pow2 p%g = %g, want %g within ×1.5", q*100, got, exact)
		}
	}
}

// Multi-field keys and predicates keep the probe's path free of
// allocations once the group exists.
func TestAggregateRicherDoesNotAllocate(t *testing.T) {
	for _, tc := range []struct {
		spec script.Agg
		kv   []any
	}{
		{script.Agg{By: "route,status", Of: "duration"}, []any{"route", "/users", "status", 200, "duration", time.Millisecond}},
		{script.Agg{By: "route,status", Of: "duration", Where: "status>=500"}, []any{"route", "/users", "status", 500, "duration", time.Millisecond}},
		{script.Agg{By: "route", Of: "duration", Where: "method==GET"}, []any{"route", "/users", "method", "GET", "duration", time.Millisecond}},
		{script.Agg{By: "route,status", Where: "status>=500"}, []any{"route", "/users", "status", 200}},                                                                   // left out
		{script.Agg{By: "route,status", Of: "duration", Hist: script.Linear(0, 1e7, 1e5)}, []any{"route", "/u", "status", statusCode(200), "duration", time.Millisecond}}, // encoded
		{script.Agg{Of: "duration", Hist: script.Pow2(), Where: "status!=200"}, []any{"status", statusCode(503), "duration", time.Millisecond}},                           // encoded
	} {
		t.Run(tc.spec.By+"/"+tc.spec.Where+"/"+tc.spec.Hist.String(), func(t *testing.T) {
			name := "allocstest:" + tc.spec.By + tc.spec.Where + tc.spec.Hist.String()
			fed(t, name, tc.spec)
			p := jstrace.NewProbe(name)
			p.Emit(tc.kv...)
			if n := testing.AllocsPerRun(1000, func() { p.Emit(tc.kv...) }); n != 0 {
				t.Fatalf("%v allocations per event", n)
			}
		})
	}
}
