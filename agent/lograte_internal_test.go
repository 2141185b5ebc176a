package agent

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for concurrent use.
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

func (b *lockedBuffer) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Len()
}

func TestRefusalLogIsBounded(t *testing.T) {
	var buf lockedBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var r refusalLog
	for i := range 10000 {
		level := slog.LevelDebug
		if i == 5000 {
			level = slog.LevelWarn
		}
		r.note(log, log, level, "bad preamble", "err", "bad magic")
	}
	if n := strings.Count(buf.String(), "bad preamble"); n != refusalsLogged {
		t.Fatalf("%d lines logged, want %d", n, refusalsLogged)
	}
	r.close(log)
	if !strings.Contains(buf.String(), "level=WARN msg=\"connection records suppressed\" not_logged=9990") {
		t.Fatalf("no summary:\n%s", buf.String())
	}
}

// Garbage from many connections to a real agent: its log stays a few lines.
func TestGarbagePeersDoNotFloodTheLog(t *testing.T) {
	var buf lockedBuffer
	a, err := Listen(Options{NoDiscovery: true, Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
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
	if n := strings.Count(log, "\n"); n > refusalsLogged+3 {
		t.Fatalf("%d log lines for 300 garbage connections:\n%.2000s", n, log)
	}
	if !strings.Contains(log, "connection records suppressed") {
		t.Fatalf("no summary:\n%s", log)
	}
}

// blockingHandler holds each record it handles until release is closed.
type blockingHandler struct {
	handling chan struct{} // a record is being handled
	release  chan struct{}
}

func (h *blockingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *blockingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *blockingHandler) WithGroup(string) slog.Handler            { return h }
func (h *blockingHandler) Handle(context.Context, slog.Record) error {
	h.handling <- struct{}{}
	<-h.release
	return nil
}

// The summary's timer has fired and its line is being logged when the
// agent closes: close waits for it, so nothing is logged after Close; and
// the summary starts a new window, with its quota.
func TestRefusalLogCloseWaitsForSummary(t *testing.T) {
	var r refusalLog
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil)) // enabled: a disabled level is not counted
	for range refusalsLogged + 5 {
		r.note(quiet, quiet, slog.LevelWarn, "bad preamble")
	}
	h := &blockingHandler{handling: make(chan struct{}), release: make(chan struct{})}
	r.mu.Lock()
	r.timer.Stop() // due in a minute: rearm it now, with the blocking logger
	r.timer = time.AfterFunc(time.Millisecond, func() { defer r.summaries.Done(); r.summary(slog.New(h)) })
	r.mu.Unlock()
	<-h.handling // the summary is being logged
	r.mu.Lock()
	logged, start := r.logged, r.start
	r.mu.Unlock()
	if logged != 0 || time.Since(start) > time.Second {
		t.Errorf("the summary did not start a new window: %d logged, started %v ago", logged, time.Since(start))
	}
	closed := make(chan struct{})
	go func() { r.close(quiet); close(closed) }()
	select {
	case <-closed:
		t.Fatal("close returned while the summary was being logged")
	case <-time.After(100 * time.Millisecond):
	}
	close(h.release)
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("close did not return after the summary")
	}
}
