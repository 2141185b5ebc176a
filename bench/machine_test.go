package bench

import (
	"encoding/binary"
	"sync/atomic"
	"testing"
)

// BenchmarkMachineParallel measures what this machine charges for running
// on both its cores at once, with nothing shared: the CPU time an
// operation costs with one goroutine, and with one goroutine per core
// (onEveryCore). Issue 16 asks that an event cost at most 1.2× as much
// with every core firing as with one; where the machine's cores slow each
// other down with nothing shared (a hypervisor's siblings, a shared cache
// or memory bus), that much of the ratio is the machine's, not jstrace's
// (bench/README.md, Probe call sites). Two kernels of about an enabled
// probe's length: "compute", a register-only loop (xorshift, 64 rounds),
// and "stores", 48-byte records written in turn into a 256 KiB buffer of
// each goroutine's own, as a probe writes its P's part of the session
// buffer. cpu-ns/op is the process's CPU (getrusage) an operation.
func BenchmarkMachineParallel(b *testing.B) {
	kernels := []struct {
		name string
		run  func(pb func() bool) uint64
	}{
		{"compute", func(next func() bool) uint64 {
			x := uint64(88172645463325252)
			for next() {
				for range 64 {
					x ^= x << 13
					x ^= x >> 7
					x ^= x << 17
				}
			}
			return x
		}},
		{"stores", stores(256 << 10)},
		{"stores-4MiB", stores(4 << 20)},
	}
	for _, k := range kernels {
		b.Run(k.name, func(b *testing.B) {
			u := getUsage(b)
			i := 0
			sink = k.run(func() bool { i++; return i <= b.N })
			reportCPU(b, u)
		})
		b.Run(k.name+"-parallel", func(b *testing.B) {
			u := getUsage(b)
			var all atomic.Uint64
			onEveryCore(b, func(n int) {
				i := 0
				all.Add(k.run(func() bool { i++; return i <= n }))
			})
			sink = all.Load()
			reportCPU(b, u)
		})
	}
}

// stores returns the stores kernel on a buffer of bufSize bytes.
func stores(bufSize int) func(next func() bool) uint64 {
	return func(next func() bool) uint64 {
		buf := make([]byte, bufSize)
		off, n := 0, uint64(0)
		for next() {
			n++
			r := buf[off : off+48]
			for i := 0; i < 48; i += 8 {
				binary.LittleEndian.PutUint64(r[i:], n+uint64(i))
			}
			if off += 48; off+48 > len(buf) {
				off = 0
			}
		}
		return uint64(buf[n%uint64(len(buf))])
	}
}

// sink keeps the kernels' results alive.
var sink uint64
