package agent

import (
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/scripthost"
	"github.com/jstrace-go/jstrace/script"
)

// feedHost is a scripthost.Host that keeps the Feed of the last Aggregation.
type feedHost struct{ feed scripthost.Feed }

func (h *feedHost) On(string, func(*script.Trace)) error { return nil }
func (h *feedHost) Aggregate(_ string, f scripthost.Feed) error {
	h.feed = f
	return nil
}
func (h *feedHost) Emit(string, []any)          {}
func (h *feedHost) Print(byte, string)          {}
func (h *feedHost) Every(time.Duration, func()) {}
func (h *feedHost) OnCleanup(func())            {}

func newFeed(spec script.Agg) (*script.Aggregation, scripthost.Feed) {
	h := &feedHost{}
	a := scripthost.NewTraces(h).Aggregate("x", spec)
	return a, h.feed
}

// The sampled time of the reductions estimates what they took, and the
// counts of Aggregations are given back when the session ends.
func TestFedSamplesAndCounts(t *testing.T) {
	total := &aggCounter{max: 3}
	f := newFed(Limits{MaxAggregations: 2, MaxAggregationMemory: 1 << 20}, total, nil)
	const n = 20000
	spin := func(jstrace.Event) {
		for start := time.Now(); time.Since(start) < 5*time.Microsecond; {
		}
	}
	probe := jstrace.NewProbe("fedtest:spin")
	if err := f.subscribe("fedtest:spin", scripthost.Feed{Event: spin}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for range n {
		probe.Emit()
	}
	took := time.Since(start)
	if got := f.cpuTime(); got < took/3 || got > 3*took {
		t.Errorf("sampled %v of reductions, the loop took %v", got, took)
	}
	if err := f.subscribe("fedtest:*", scripthost.Feed{Event: spin}); err != nil {
		t.Fatal(err)
	}
	if err := f.subscribe("fedtest:*", scripthost.Feed{Event: spin}); err == nil {
		t.Fatal("a third aggregation in a session of two")
	}
	g := newFed(Limits{MaxAggregations: 2, MaxAggregationMemory: 1 << 20}, total, nil)
	if err := g.subscribe("fedtest:*", scripthost.Feed{Event: spin}); err != nil {
		t.Fatal(err)
	}
	if err := g.subscribe("fedtest:*", scripthost.Feed{Event: spin}); err == nil {
		t.Fatal("a fourth aggregation in an agent of three")
	}
	f.close()
	if err := g.subscribe("fedtest:*", scripthost.Feed{Event: spin}); err != nil {
		t.Fatalf("after the first session ended: %v", err)
	}
	if err := f.subscribe("fedtest:*", scripthost.Feed{Event: spin}); err != errEnding {
		t.Fatalf("after close: %v", err)
	}
	g.close()
	if total.n.Load() != 0 {
		t.Fatalf("%d aggregations still counted", total.n.Load())
	}
	if probe.Enabled() {
		t.Fatal("probe enabled after close")
	}
}

// BenchmarkFedEvent: an aggregate-in-probe event, fed directly or through
// the session's sampling of its time.
func BenchmarkFedEvent(b *testing.B) {
	probe := jstrace.NewProbe("fedbench:end")
	for _, sampled := range []bool{false, true} {
		name := "direct"
		if sampled {
			name = "sampled"
		}
		b.Run(name, func(b *testing.B) {
			_, feed := newFeed(script.Agg{By: "status", Of: "duration"})
			f := newFed(Limits{MaxAggregations: 1, MaxAggregationMemory: 16 << 20}, &aggCounter{max: 1}, nil)
			if sampled {
				if err := f.subscribe("fedbench:end", feed); err != nil {
					b.Fatal(err)
				}
				defer f.close()
			} else {
				defer jstrace.SubscribeFunc(func(n string) bool { return n == "fedbench:end" }, feed.Event).Close()
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				probe.Emit("id", i, "method", "GET", "path", "/users/7", "status", 200+i%2, "duration", time.Duration(i))
			}
		})
	}
}
