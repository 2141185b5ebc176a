package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"testing"

	"github.com/jstrace-go/jstrace/internal/engine"
)

// BenchmarkFootprint: what embedding the agent costs a service that is not
// being traced: binary size, heap, and wake-ups while idle. It builds a
// minimal HTTP service with and without the agent, runs each for five idle
// seconds, and compares. Run with -benchtime=1x.
func BenchmarkFootprint(b *testing.B) {
	dir := b.TempDir()
	type measured struct {
		size                     int64
		heap, agentHeap, wakeups int64
	}
	measure := func(name string) measured {
		bin := filepath.Join(dir, name)
		cmd := exec.Command("go", "build", "-o", bin, "./footprint/"+name)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
		fi, err := os.Stat(bin)
		if err != nil {
			b.Fatal(err)
		}
		out, err := exec.Command(bin).Output()
		if err != nil {
			b.Fatal(err)
		}
		m := measured{size: fi.Size()}
		if _, err := fmt.Sscanf(string(out), "heap %d agent-heap %d switches %d", &m.heap, &m.agentHeap, &m.wakeups); err != nil {
			b.Fatalf("%s said %q: %v", name, out, err)
		}
		return m
	}
	for i := 0; i < b.N; i++ {
		plain, agent := measure("plain"), measure("withagent")
		b.ReportMetric(float64(agent.size-plain.size)/(1<<20), "MB-binary-added")
		b.ReportMetric(float64(agent.heap-plain.heap)/(1<<20), "MB-heap-added")
		b.ReportMetric(float64(agent.agentHeap)/(1<<10), "KB-heap-by-Listen")
		b.ReportMetric(float64(agent.wakeups-plain.wakeups)/5, "wakeups/s-added")
		b.Logf("plain: %.1f MB binary, %d KB heap, %d switches in 5 s idle; with the agent: %.1f MB, %d KB, %d",
			float64(plain.size)/(1<<20), plain.heap>>10, plain.wakeups, float64(agent.size)/(1<<20), agent.heap>>10, agent.wakeups)
	}
}

// BenchmarkSessionMemory: the heap one session's script instance takes in
// the agent (the interpreter with its symbol tables and the compiled
// script), to state with the fixed buffers what a session costs; and of
// it, the part the garbage collector marks at every collection
// (KB-GC-scan-during) and the part it goes on marking after the session
// ended (KB-GC-scan-left): a service under load collects tens of times a
// second (bench/README.md, "What a session leaves to the collector").
func BenchmarkSessionMemory(b *testing.B) {
	for i := 0; i < b.N; i++ {
		heap0, scan0 := heapAndScan()
		e, err := engine.Start("agg.go", []byte(remoteScript), engine.Remote, discard{}, engine.Options{})
		if err != nil {
			b.Fatal(err)
		}
		heap1, scan1 := heapAndScan()
		e.Stop(context.Background())
		_, scan2 := heapAndScan()
		b.ReportMetric(float64(heap1-heap0)/(1<<20), "MB-per-script")
		b.ReportMetric(float64(scan1-scan0)/(1<<10), "KB-GC-scan-during")
		b.ReportMetric(float64(scan2-scan0)/(1<<10), "KB-GC-scan-left")
	}
}

// heapAndScan collects, then returns the live heap and the heap the
// collector scanned (both in bytes).
func heapAndScan() (heap, scan int64) {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/heap:bytes"}}
	runtime.GC()
	runtime.GC() // and what the first left to the next (sync.Pool's victims)
	metrics.Read(s)
	return int64(s[0].Value.Uint64()), int64(s[1].Value.Uint64())
}
