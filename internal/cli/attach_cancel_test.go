package cli

import (
	"context"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

// hungPeers listens n times; each peer accepts and never answers (an agent
// stuck before its Welcome) until the test ends. It returns the addresses
// and a count of the connections accepted.
func hungPeers(t *testing.T, n int) ([]string, func() int) {
	var (
		mu       sync.Mutex
		accepted int
		conns    []net.Conn
	)
	var addrs []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		addrs = append(addrs, ln.Addr().String())
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			accepted++
			conns = append(conns, c)
			mu.Unlock()
		}()
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return addrs, func() int { mu.Lock(); defer mu.Unlock(); return accepted }
}

func boundedTracer(t *testing.T, addrs []string, bound int) *tracer {
	sel, err := newSelector(0, "", "", addrs)
	if err != nil {
		t.Fatal(err)
	}
	return &tracer{
		opts:      &TraceOptions{IO: &output{stdout: io.Discard, stderr: io.Discard}},
		sel:       sel,
		out:       &output{stdout: io.Discard, stderr: io.Discard},
		agents:    map[string]*agent{},
		skip:      map[string]time.Time{},
		warned:    map[string]bool{},
		changed:   make(chan struct{}, 1),
		attaching: bound,
	}
}

// A scan whose every slot is held by an agent that never answers, and
// whose ctx is then cancelled, returns at once: the attempts in flight end
// with the ctx (not at dialTimeout), no other candidate is tried, and none
// is left with a placeholder or marked as failed.
func TestScanStopsWhenCancelledWithSlotsFull(t *testing.T) {
	const bound, peers = 2, 6
	addrs, accepted := hungPeers(t, peers)
	tr := boundedTracer(t, addrs, bound)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	n, _ := tr.scan(ctx)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("scan returned %v after it began, the ctx cancelled at 300ms", d)
	}
	if n != 0 {
		t.Errorf("attached %d", n)
	}
	if a := accepted(); a > bound {
		t.Errorf("%d candidates dialled, %d slots", a, bound)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.agents) != 0 {
		t.Errorf("%d placeholders left", len(tr.agents))
	}
	if len(tr.skip) > bound {
		t.Errorf("%d candidates set aside as failed, %d tried", len(tr.skip), bound)
	}
}

// Ctrl-C during the first scan, which the slots make long when agents hang,
// stops it there: start does not wait for the scan to try every candidate.
func TestStartStopsOnSignalDuringScan(t *testing.T) {
	const bound, peers = 2, 6
	addrs, _ := hungPeers(t, peers)
	tr := boundedTracer(t, addrs, bound)
	sigs := make(chan os.Signal, 2)
	time.AfterFunc(300*time.Millisecond, func() { sigs <- os.Interrupt })
	start := time.Now()
	stopped, err := tr.start(context.Background(), sigs)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("start returned %v after it began, Ctrl-C at 300ms", d)
	}
	if !stopped || exitCode(err) != ExitOK {
		t.Errorf("start: stopped %v, %v (exit %d)", stopped, err, exitCode(err))
	}
}
