package jstrace

import (
	"runtime"
	"testing"
)

// TestReviewFlightSnapshotAllocates checks that a snapshot allocates about
// what it returns: a copy of the recorder, the copy in time order, and its
// index (32 bytes per record). Growing these by append allocated several
// times the recorder's size per dump (5 copies' worth of garbage for the
// raw copy alone), in the service hosting the agent.
func TestReviewFlightSnapshotAllocates(t *testing.T) {
	const size = 8 << 20
	f := newFlight(size)
	var n int
	for ts := int64(1); ; ts++ {
		f.write(flightRecord("p", ts, 40))
		if _, st := f.snapshotStats(); st.Overwritten > 1000 {
			n = int(st.Records - st.Overwritten)
			break
		}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got, _ := f.snapshot(nil)
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	budget := uint64(2*size + 32*n + size/4)
	if allocated > budget {
		t.Fatalf("a snapshot of a %d-byte recorder (%d records, %d bytes out) allocated %d bytes, want at most %d", size, n, len(got), allocated, budget)
	}
}

// snapshotStats returns the counters without copying the records.
func (f *flight) snapshotStats() (int, FlightStats) {
	st := FlightStats{Size: f.size}
	for i := range f.shards {
		s := &f.shards[i]
		s.mu.Lock()
		st.Records += s.records
		st.Overwritten += s.overwritten
		s.mu.Unlock()
	}
	return 0, st
}

// TestReviewFlightEmitReportsDrop: Subscription.Emit says whether the
// record was written; on a flight recorder, a record larger than a shard
// is dropped and counted, and Emit must say so rather than report it kept.
func TestReviewFlightEmitReportsDrop(t *testing.T) {
	s := SubscribeFlight(nil, MinFlightSize)
	defer s.Close()
	var kv []any
	for range 5 { // 80 KiB: more than the whole recorder
		kv = append(kv, "pad", string(make([]byte, MaxValueLen)))
	}
	if _, ok := s.Emit("big", kv...); ok {
		_, st := s.Snapshot(nil)
		t.Fatalf("Emit of a record larger than the recorder reported it written (stats %+v)", st)
	}
	if _, ok := s.Emit("small", "n", 1); !ok {
		t.Fatal("Emit of a small record reported it dropped")
	}
}
