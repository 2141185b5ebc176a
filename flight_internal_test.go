package jstrace

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

// flightRecord encodes a record of probe name at time ts with one field.
func flightRecord(name string, ts int64, pad int) []byte {
	var kv []any
	for ; pad > 0; pad -= MaxValueLen {
		kv = append(kv, "pad", string(make([]byte, min(pad, MaxValueLen))))
	}
	b := appendRecord(make([]byte, frameHdr), recordEvent, name, ts, kv)
	f, _ := frame(b)
	return f
}

// records splits length-prefixed records.
func records(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) > 0 {
		n, w := binary.Uvarint(b)
		if w <= 0 || int(n) > len(b)-w {
			t.Fatalf("bad framing at %d bytes from the end", len(b))
		}
		out = append(out, b[w:w+int(n)])
		b = b[w+int(n):]
	}
	return out
}

// TestFlightKeepsTheNewest checks, against a model, that a one-shard
// recorder holds exactly the newest records that fit, in order, whatever
// their sizes (length prefixes of one to three bytes, wrapping anywhere).
func TestFlightKeepsTheNewest(t *testing.T) {
	for _, size := range []int{MinFlightSize, MinFlightSize + 7, 100_003} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			f := &flight{shards: make([]flightShard, 1), size: size}
			f.shards[0].buf = make([]byte, size)
			rng := rand.New(rand.NewPCG(1, uint64(size)))
			var all [][]byte
			for i := range 5000 {
				pad := rng.IntN(200)
				if i%97 == 0 {
					pad = 200 + rng.IntN(20000) // two- and three-byte prefixes
				}
				r := flightRecord("p", int64(i+1), pad)
				all = append(all, r)
				f.write(r)
				if len(f.shards[0].buf) != size {
					t.Fatalf("buffer grew to %d", len(f.shards[0].buf))
				}
			}
			got, st := f.snapshot(nil)
			// The model: the longest suffix of all that fits.
			n, keep := 0, 0
			for i := len(all) - 1; i >= 0 && n+len(all[i]) <= size; i-- {
				n += len(all[i])
				keep++
			}
			want := all[len(all)-keep:]
			recs := records(t, got)
			if len(recs) != keep {
				t.Fatalf("snapshot holds %d records, want the %d newest", len(recs), keep)
			}
			for i, r := range recs {
				if recordTime(r) != recordTime(want[i][len(want[i])-len(r):]) {
					t.Fatalf("record %d: time %d, want %d", i, recordTime(r), recordTime(want[i][len(want[i])-len(r):]))
				}
			}
			if st.Records != 5000 || st.Overwritten != uint64(5000-keep) || st.Size != size {
				t.Fatalf("stats %+v, want 5000 records, %d overwritten", st, 5000-keep)
			}
		})
	}
}

func TestFlightDropsTooLarge(t *testing.T) {
	f := newFlight(MinFlightSize)
	f.write(nil) // over MaxRecordSize
	f.write(flightRecord("p", 1, MinFlightSize))
	f.write(flightRecord("p", 2, 10))
	got, st := f.snapshot(nil)
	if st.Dropped != 2 || len(records(t, got)) != 1 {
		t.Fatalf("stats %+v, %d records; want 2 dropped, 1 kept", st, len(records(t, got)))
	}
}

// TestFlightShardsWindow: shards filled at different paces yield a
// snapshot that starts where every shard still has its records.
func TestFlightShardsWindow(t *testing.T) {
	f := &flight{shards: make([]flightShard, 2), size: 2 * 4096}
	f.shards[0].buf = make([]byte, 4096)
	f.shards[1].buf = make([]byte, 4096)
	f.shards[1].put(flightRecord("slow", 1, 10))
	for i := range 1000 {
		f.shards[0].put(flightRecord("fast", int64(i+2), 10))
	}
	f.shards[1].put(flightRecord("slow", 2000, 10))
	got, _ := f.snapshot(nil)
	recs := records(t, got)
	oldest := recordTime(recs[0])
	if oldest < 2 || recordTime(recs[len(recs)-1]) != 2000 {
		t.Fatalf("window %d…%d: the slow shard's old record (1) should be left out, its new one kept", oldest, recordTime(recs[len(recs)-1]))
	}
	for i := 1; i < len(recs); i++ {
		if recordTime(recs[i]) < recordTime(recs[i-1]) {
			t.Fatalf("records out of time order at %d", i)
		}
	}
}

// TestFlightParallel writes from many goroutines while snapshots are
// taken: every snapshot must parse, and memory must stay the size.
func TestFlightParallel(t *testing.T) {
	f := newFlight(MinFlightSize)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5000 {
				f.write(flightRecord(fmt.Sprint("g", g), int64(i+1), i%300))
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for snap := 0; ; snap++ {
		got, _ := f.snapshot(nil)
		if len(got) > MinFlightSize {
			t.Fatalf("snapshot of %d bytes from a %d-byte recorder", len(got), MinFlightSize)
		}
		records(t, got)
		select {
		case <-done:
			_, st := f.snapshot(nil)
			if st.Records != 8*5000 {
				t.Fatalf("%d records written, want %d", st.Records, 8*5000)
			}
			return
		default:
		}
	}
}
