package agent_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

func TestProbeCatalogue(t *testing.T) {
	a := start(t, agent.Options{})
	hot, cold, other := jstrace.NewProbe("cat:hot"), jstrace.NewProbe("cat:cold"), jstrace.NewProbe("other:x")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if i%2 == 0 {
				hot.Emit("path", "/x", "status", 200, "late", i > 1000)
			} else {
				hot.Emit("path", "/y", "status", "teapot")
			}
			jstrace.Trace("cat:dynamic", "n", i)
			time.Sleep(50 * time.Microsecond)
		}
	}()
	probes, window, err := dial(t, a, "").Probes(&protocol.ProbesRequest{Patterns: []string{"cat:*"}, Window: 300 * time.Millisecond})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if window < 300*time.Millisecond {
		t.Fatalf("window %v", window)
	}
	got := map[string]protocol.ProbeInfo{}
	for _, p := range probes {
		got[p.Name] = p
	}
	if _, ok := got["other:x"]; ok {
		t.Fatal("other:x listed for cat:*")
	}
	if got["cat:hot"].Hits == 0 || got["cat:cold"].Hits != 0 {
		t.Fatalf("hits: hot %d, cold %d", got["cat:hot"].Hits, got["cat:cold"].Hits)
	}
	if _, ok := got["cat:dynamic"]; !ok {
		t.Fatal("a probe registered by Trace during the window is missing")
	}
	var fields []string
	for _, f := range got["cat:hot"].Fields {
		fields = append(fields, f.Name+":"+strings.Join(protocol.KindNames(f.Kinds), "|"))
	}
	if s := strings.Join(fields, " "); s != "path:string status:int|string late:bool" {
		t.Fatalf("fields of cat:hot: %s", s)
	}
	if hot.Enabled() || cold.Enabled() || other.Enabled() {
		t.Fatal("probes stayed enabled after the window")
	}
}

func TestProbeCatalogueBounds(t *testing.T) {
	a := start(t, agent.Options{})
	p := jstrace.NewProbe("bound:wide")
	long := strings.Repeat("k", 1000)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 200 {
			kv := []any{long, 1}
			for i := range 100 {
				kv = append(kv, fmt.Sprint("f", i), i)
			}
			p.Emit(kv...)
			time.Sleep(100 * time.Microsecond)
		}
	}()
	probes, _, err := dial(t, a, "").Probes(&protocol.ProbesRequest{Patterns: []string{"bound:*"}, Window: 200 * time.Millisecond})
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if len(probes) != 1 || len(probes[0].Fields) != protocol.MaxProbeFields || len(probes[0].Fields[0].Name) != protocol.MaxProbeNameLen {
		t.Fatalf("got %d probes, %d fields, first of %d bytes", len(probes), len(probes[0].Fields), len(probes[0].Fields[0].Name))
	}
}
