package bench

import (
	"syscall"
	"testing"
)

// BenchmarkMachinePageFault measures what this machine charges for memory
// a process touches for the first time: a minor page fault a 4 KiB page,
// which the Go runtime takes for every new page of heap and of goroutine
// stack. It is a property of the machine, not of jstrace: on a VM whose
// hypervisor traps each fault it is tens of times what it is on bare
// metal, and it weighs on whatever grows memory (attaching 1,000 agents:
// bench/README.md, Attach). Reported per 4 KiB page: the first touch of
// anonymous memory, and the same pages populated by the kernel in one
// call (MAP_POPULATE: the zeroing without a fault each).
func BenchmarkMachinePageFault(b *testing.B) {
	const size = 32 << 20
	pages := size / 4096
	b.Run("first-touch", func(b *testing.B) {
		for range b.N {
			m, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < size; i += 4096 {
				m[i] = 1
			}
			syscall.Munmap(m)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*pages), "ns/page")
	})
	b.Run("populate", func(b *testing.B) {
		for range b.N {
			m, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE|syscall.MAP_POPULATE)
			if err != nil {
				b.Fatal(err)
			}
			syscall.Munmap(m)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*pages), "ns/page")
	})
}
