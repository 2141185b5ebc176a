package tracestore

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// A collector receiving many small traces (here 100 one-span traces a
// Put) must not keep more than its retention's worth on disk: the sweep
// must keep up with what comes in, not delete 16 traces a Put whatever
// their size.
func TestReviewSweepKeepsUpWithSmallTraces(t *testing.T) {
	clock := &testClock{now: time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)}
	st, err := openFile(context.Background(), filepath.Join(t.TempDir(), "t.db"), Options{Retention: time.Hour, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	s := st.(*fileStore)
	defer s.Close()
	const perPut, every = 100, 2 * time.Minute
	n := 0
	for range 90 { // 3 hours
		batch := make([]Span, perPut)
		for i := range batch {
			n++
			batch[i] = Span{TraceID: fmt.Sprintf("%032x", n), SpanID: "00000000000000a1", Service: "svc", Operation: "op", Start: clock.Now(), Duration: time.Millisecond}
		}
		if err := s.Put(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
		clock.advance(every)
	}
	live := int(time.Hour/every+1) * perPut
	if _, traces, _ := rows(t, s); traces > 2*live {
		t.Errorf("%d traces in the file after 3 h of a 1 h retention; about %d are live", traces, live)
	}
}
