package bench

import (
	"runtime"
	"sync"
	"testing"
)

// onEveryCore runs work on GOMAXPROCS goroutines at once, each given its
// share n of b.N iterations to loop over itself. It is RunParallel
// without testing.PB, the per-goroutine counter RunParallel's loops
// decrement on every iteration: 32 bytes each, so that two allocated
// from one span share a cache line and bounce it between the cores on
// every iteration. With it the parallel benchmarks here were bimodal,
// the slow mode twice as costly an event (bench/README.md, Probe call
// sites).
func onEveryCore(b *testing.B, work func(n int)) {
	procs := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for g := range procs {
		n := b.N / procs
		if g < b.N%procs {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			work(n)
		}()
	}
	wg.Wait()
}
