package jstrace

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// shardRecord is a framed record named name, timed ts.
func shardRecord(name string, ts int64) []byte {
	f, _ := encodeEvent(make([]byte, 0, 64), appendString([]byte{recordEvent}, name), ts, nil, nil)
	return f
}

// putIn writes f into shard i, as a probe on that shard's P would.
func putIn(r *ring, i int, f []byte) {
	s := &r.shards[i]
	s.mu.Lock()
	s.put(f)
	s.mu.Unlock()
}

// recordNames returns the names of the framed records in b, in order.
func recordNames(t *testing.T, b []byte) []string {
	t.Helper()
	var names []string
	for len(b) > 0 {
		v, w := binary.Uvarint(b)
		if w <= 0 || int(v) > len(b)-w {
			t.Fatalf("a torn frame: % x", b)
		}
		rec := b[w : w+int(v)]
		n, nw := binary.Uvarint(rec[1:])
		names = append(names, string(rec[1+nw:1+nw+int(n)]))
		b = b[w+int(v):]
	}
	return names
}

// A read of a sharded ring merges the records of every shard by time,
// each shard's in the order written (c30 before b10: b10's writer was
// held up between reading the clock and writing), those of equal time in
// shard order.
func TestShardedRingMergesByTime(t *testing.T) {
	r := newShardedRing(64<<10, 4)
	putIn(r, 2, shardRecord("c30", 30))
	putIn(r, 2, shardRecord("b10", 10))
	putIn(r, 0, shardRecord("d20", 20))
	putIn(r, 0, shardRecord("e40", 40))
	putIn(r, 1, shardRecord("a10", 10))
	got := strings.Join(recordNames(t, r.read(nil)), " ")
	if want := "a10 d20 c30 b10 e40"; got != want {
		t.Fatalf("read %s, want %s", got, want)
	}
	if got := r.read(nil); len(got) != 0 {
		t.Fatalf("a second read returned %d bytes", len(got))
	}
}

// One goroutine filling its shard goes on into the others: the ring holds
// what its size says before it drops, and counts the drops.
func TestShardedRingUsesEveryShard(t *testing.T) {
	r := newShardedRing(16<<10, 4)
	f := shardRecord(strings.Repeat("x", 96), 1) // 100 bytes framed
	written, tries := 0, 0
	for ; tries < 1000; tries++ {
		if r.write(f) {
			written += len(f)
		}
	}
	if written < 16<<10-4*len(f) {
		t.Fatalf("took %d bytes of a 16 KiB ring", written)
	}
	if d := r.dropped.Load(); int(d) != tries-written/len(f) {
		t.Fatalf("dropped %d of %d, wrote %d", d, tries, written/len(f))
	}
	if got := len(r.read(nil)); got != written {
		t.Fatalf("read %d bytes of %d written", got, written)
	}
}

// Goroutines writing from every core while the consumer reads: every
// record arrives once, and each goroutine's in the order it wrote them,
// though it moves between shards (and cores) as it goes.
func TestShardedRingKeepsEachWritersOrder(t *testing.T) {
	const writers, each = 8, 3000
	r := newShardedRing(1<<20, 4)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				f := shardRecord(fmt.Sprintf("%d:%d", w, i), now())
				if !r.write(f) {
					t.Errorf("writer %d: record %d dropped", w, i)
					return
				}
				if i%64 == 0 {
					runtime.Gosched()
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	next := make([]int, writers)
	got, idle := 0, 0
	for got < writers*each {
		select {
		case <-done:
			if idle++; idle > 1000 {
				t.Fatalf("received %d of %d records", got, writers*each)
			}
		default:
		}
		for _, name := range recordNames(t, r.read(nil)) {
			w, _ := strconv.Atoi(name[:strings.IndexByte(name, ':')])
			i, _ := strconv.Atoi(name[strings.IndexByte(name, ':')+1:])
			if i != next[w] {
				t.Fatalf("writer %d: record %d after %d", w, i, next[w]-1)
			}
			next[w]++
			got++
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// Frames that wrap around the end of a shard's buffer, some split in
// their length, come out whole and in order.
func TestShardedRingFramesAcrossTheEnd(t *testing.T) {
	r := newShardedRing(8<<10, 2) // two shards of 4 KiB
	for start := uint64(4096 - 300); start < 4096; start += 7 {
		for i := range r.shards {
			s := &r.shards[i]
			s.head, s.tail = start, start
		}
		var want []string
		for k := range 6 {
			name := fmt.Sprintf("%d-%s", k, strings.Repeat("y", k*37%150))
			want = append(want, name)
			putIn(r, k%2, shardRecord(name, int64(k+1)))
		}
		if got := recordNames(t, r.read(nil)); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("from %d: read %q, want %q", start, got, want)
		}
	}
}
