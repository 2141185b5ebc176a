package jstrace

import "testing"

// BenchmarkRingRead: what the consumer pays per record to read a session
// buffer of one part (a copy) and of two or four parts written in turn
// (a merge by time): ns/op is per record.
func benchRingRead(b *testing.B, shards int) {
	r := newShardedRing(4<<20, shards)
	f := shardRecord("bench:enabled-with-a-name", 1)
	var dst []byte
	const per = 10000
	b.ResetTimer()
	for i := 0; i < b.N; i += per {
		b.StopTimer()
		for k := range per {
			putIn(r, k%shards, f)
		}
		b.StartTimer()
		dst = r.read(dst[:0])
	}
}
func BenchmarkRingRead1(b *testing.B) { benchRingRead(b, 1) }
func BenchmarkRingRead2(b *testing.B) { benchRingRead(b, 2) }
func BenchmarkRingRead4(b *testing.B) { benchRingRead(b, 4) }
