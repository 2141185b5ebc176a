package cli

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"
)

// A scan of many agents has at most maxAttaching attempts in flight: here
// 4, against 12 peers that each hold a connection for a while before
// closing it. It still attaches in parallel (more than one at a time) and
// tries every candidate.
func TestScanBoundsAttachesInFlight(t *testing.T) {
	const bound, peers = 4, 12
	var (
		mu             sync.Mutex
		inFlight, most int
		accepted       int
	)
	var addrs []string
	for range peers {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		addrs = append(addrs, ln.Addr().String())
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			inFlight++
			accepted++
			most = max(most, inFlight)
			mu.Unlock()
			time.Sleep(100 * time.Millisecond) // a slow handshake
			mu.Lock()
			inFlight--
			mu.Unlock()
			c.Close() // not an agent: the attempt fails
		}()
	}
	tr := boundedTracer(t, addrs, bound)
	if n, _ := tr.scan(context.Background()); n != 0 {
		t.Fatalf("attached %d peers that are not agents", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if accepted != peers {
		t.Fatalf("%d of %d candidates tried", accepted, peers)
	}
	if most > bound || most < 2 {
		t.Fatalf("%d attempts in flight at most, want 2..%d", most, bound)
	}
}
