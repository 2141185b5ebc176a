package agent_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// slowLoad spends 400ms in its Remote: the session is admitted, not yet
// measured.
const slowLoad = `package main

import (
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	for start := time.Now(); time.Since(start) < 400*time.Millisecond; {
	}
}
`

// Sessions whose scripts are still loading hold their buffers: attaches
// at once are held to Totals.MaxMemory as if one followed the other.
func TestConcurrentAttachesReserveMemory(t *testing.T) {
	a := start(t, agent.Options{BufferSize: 1 << 19, Totals: agent.Totals{MaxMemory: 5 << 19}})
	var mu sync.Mutex
	var wg sync.WaitGroup
	ok, busy := 0, 0
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, _, err := attachErr(t, a, slowLoad)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				wantError(t, err, protocol.CodeBusy, "past the limit of 2.5 MiB for all sessions")
				busy++
				return
			}
			ok++
			t.Cleanup(func() { stopWait(t, c) })
		}()
	}
	wg.Wait()
	if ok != 2 || busy != 2 {
		t.Fatalf("%d sessions attached, %d refused; want 2 and 2 (2.5 MiB for sessions of two 512-KiB buffers)", ok, busy)
	}
}

// blockingHandler blocks the goroutine that logs msg until unblock is
// closed, and says so on blocked.
type blockingHandler struct {
	slog.Handler
	msg              string
	blocked, unblock chan struct{}
	once             *sync.Once
}

func (h blockingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h blockingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.once.Do(func() { close(h.blocked) })
		<-h.unblock
	}
	return h.Handler.Handle(ctx, r)
}

func (h blockingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h.Handler = h.Handler.WithAttrs(as)
	return h
}

func (h blockingHandler) WithGroup(name string) slog.Handler {
	h.Handler = h.Handler.WithGroup(name)
	return h
}

// The service's log handler may block: the governor does not hold its
// lock while it detaches a session (and logs why), so that new sessions
// attach meanwhile.
func TestDetachingDoesNotBlockAttaching(t *testing.T) {
	h := blockingHandler{Handler: slog.DiscardHandler, msg: "script detached",
		blocked: make(chan struct{}), unblock: make(chan struct{}), once: new(sync.Once)}
	var unblockOnce sync.Once
	unblock := func() { unblockOnce.Do(func() { close(h.unblock) }) }
	defer unblock()
	a := start(t, agent.Options{Logger: slog.New(h), Limits: agent.Limits{MaxCPU: 0.1}})
	c1, _ := mustAttach(t, a, busyScript)
	defer c1.Close()
	select {
	case <-h.blocked:
	case <-time.After(15 * time.Second):
		t.Fatal("the session was not detached")
	}
	done := make(chan error, 1)
	go func() {
		c2, _, err := attachErr(t, a, aggScript(0, "x"))
		if err == nil {
			c2.Stop()
			c2.Wait(10 * time.Second)
			c2.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		unblock()
		<-done
		t.Fatal("a session could not attach while another's detachment was being logged")
	}
	unblock()
}

// Close does not wait for the governor's next window.
func TestCloseIsPrompt(t *testing.T) {
	a := start(t, agent.Options{})
	c, _ := mustAttach(t, a, busyScript)
	time.Sleep(1100 * time.Millisecond) // just past a window
	stopWait(t, c)
	begin := time.Now()
	a.Close()
	if d := time.Since(begin); d > 400*time.Millisecond {
		t.Fatalf("Close took %v", d)
	}
}
