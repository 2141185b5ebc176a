package agent

import (
	"bytes"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestRefusalLogIsBounded(t *testing.T) {
	var buf lockedBuffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	var r refusalLog
	for range 10000 {
		r.warn(log, log, "jstrace agent: refused connection", "err", "bad magic")
	}
	if n := strings.Count(buf.String(), "refused connection"); n != refusalsLogged {
		t.Fatalf("%d lines logged, want %d", n, refusalsLogged)
	}
	r.close(log)
	if !strings.Contains(buf.String(), "not_logged=9990") {
		t.Fatalf("no summary:\n%s", buf.String())
	}
}

// Garbage from many connections to a real agent: its log stays a few lines.
func TestGarbagePeersDoNotFloodTheLog(t *testing.T) {
	var buf lockedBuffer
	a, err := Listen(Options{NoDiscovery: true, Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for range 300 {
		c, err := net.Dial("tcp", a.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
		var b [16]byte
		c.Read(b[:]) // the agent's preamble: the connection was served
		c.Close()
	}
	a.Close()
	log := buf.String()
	if n := strings.Count(log, "\n"); n > refusalsLogged+2 {
		t.Fatalf("%d log lines for 300 garbage connections:\n%.2000s", n, log)
	}
	if !strings.Contains(log, "more connection warnings than logged") {
		t.Fatalf("no summary:\n%s", log)
	}
}
