package tracestore_test

import (
	"context"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/tracestore"
	"github.com/jstrace-go/jstrace/internal/tracestore/storetest"
)

// A trace with two roots (propagation lost between two services) must
// have the same summary whichever root arrives first: the earliest root,
// as the Redis store's script takes it.
func TestReviewTwoRootsOrder(t *testing.T) {
	for name, open := range map[string]storetest.Opener{"file": fileOpener(), "redis": redisOpener()} {
		t.Run(name, func(t *testing.T) {
			t0 := time.Now().Add(-time.Minute).UTC().Truncate(time.Millisecond)
			const trace = "7ace00000000000000000000000000a1"
			early := tracestore.Span{TraceID: trace, SpanID: "5a000000000000a1", Service: "gateway", Operation: "GET /", Start: t0, Duration: 80 * time.Millisecond}
			late := tracestore.Span{TraceID: trace, SpanID: "5a000000000000a2", Service: "worker", Operation: "job", Start: t0.Add(10 * time.Millisecond), Duration: 5 * time.Millisecond}
			for _, order := range [][]tracestore.Span{{early, late}, {late, early}} {
				t.Run(order[0].Service+" first", func(t *testing.T) {
					t.Run("one batch", func(t *testing.T) {
						st := open(t, tracestore.Options{})
						t.Cleanup(func() { st.Close() })
						if err := st.Put(context.Background(), order); err != nil {
							t.Fatal(err)
						}
						sums, err := st.Recent(context.Background(), tracestore.Query{})
						if err != nil || len(sums) != 1 || sums[0].Service != "gateway" || sums[0].Duration != early.Duration {
							t.Errorf("recent: %+v, %v: want the earliest root's summary", sums, err)
						}
					})
					st := open(t, tracestore.Options{})
					t.Cleanup(func() { st.Close() })
					for _, s := range order {
						if err := st.Put(context.Background(), []tracestore.Span{s}); err != nil {
							t.Fatal(err)
						}
					}
					sums, err := st.Recent(context.Background(), tracestore.Query{})
					if err != nil || len(sums) != 1 {
						t.Fatalf("recent: %v, %v", sums, err)
					}
					if s := sums[0]; s.Service != "gateway" || s.Operation != "GET /" || s.Duration != early.Duration {
						t.Errorf("summary %s %s %v, want the earliest root's: gateway GET / 80ms", s.Service, s.Operation, s.Duration)
					}
				})
			}
		})
	}
}
