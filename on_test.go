package jstrace_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jstrace-go/jstrace"
)

func TestOn(t *testing.T) {
	hit, skipped, other := jstrace.NewProbe("ontest:hit"), jstrace.NewProbe("ontest:skip"), jstrace.NewProbe("ontestx")
	var got []string
	unsubscribe, err := jstrace.On("ontest:*,-ontest:skip", func(e jstrace.Event) {
		kv, _ := e.Args()
		got = append(got, fmt.Sprint(e.Name(), " ", e.RequestID(), " ", kv, " ", !e.Time().IsZero()))
	})
	if err != nil {
		t.Fatal(err)
	}
	if !hit.Enabled() || skipped.Enabled() || other.Enabled() {
		t.Fatalf("enabled: hit %v, skip %v, other %v: the pattern decides which probes cost", hit.Enabled(), skipped.Enabled(), other.Enabled())
	}
	ctx := jstrace.WithRequestID(context.Background(), "r9")
	hit.EmitContext(ctx, "n", 1)
	skipped.EmitContext(ctx, "n", 2)
	jstrace.TraceContext(ctx, "ontest:made-up", "n", 3) // registered now, and matched
	hit.Emit("n", 4)
	unsubscribe()
	unsubscribe() // twice is fine
	hit.Emit("n", 5)
	want := "ontest:hit r9 [request_id r9 n 1] true|ontest:made-up r9 [request_id r9 n 3] true|ontest:hit  [n 4] true"
	if strings.Join(got, "|") != want {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
	if hit.Enabled() {
		t.Error("enabled after unsubscribe")
	}
}

func TestOnErrors(t *testing.T) {
	for _, tc := range []struct {
		name, pattern string
		fn            func(jstrace.Event)
	}{
		{"nil fn", "x", nil},
		{"empty pattern", "", func(jstrace.Event) {}},
		{"long pattern", strings.Repeat("x", jstrace.MaxPatternLen+1), func(jstrace.Event) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if stop, err := jstrace.On(tc.pattern, tc.fn); err == nil || stop != nil {
				t.Errorf("On: %v, %v", stop != nil, err)
			}
		})
	}
}

// A subscriber that panics is removed and reported once, whatever the
// number of goroutines that saw it panic; probe callers never see it.
func TestOnPanicIsRecoveredAndRemoved(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil)))
	defer slog.SetDefault(old)

	p := jstrace.NewProbe("onpanic:p")
	var calls atomic.Int32
	stop, err := jstrace.On("onpanic:*", func(e jstrace.Event) {
		calls.Add(1)
		panic("subscriber bug")
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				p.Emit("n", 1) // must not panic
			}
		}()
	}
	wg.Wait()
	if p.Enabled() {
		t.Error("the panicking subscriber is still subscribed")
	}
	if n := calls.Load(); n < 1 || n > 8 {
		t.Errorf("%d calls: want at least one, and none after the removal but those under way", n)
	}
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, `msg="jstrace: a subscriber panicked and was removed"`) ||
		!strings.Contains(out, `panic="subscriber bug"`) || !strings.Contains(out, "pattern=onpanic:*") {
		t.Errorf("reports:\n%s", out)
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Subscribing, firing and unsubscribing concurrently: no race, and no call
// after unsubscribe returns.
func TestOnConcurrent(t *testing.T) {
	p := jstrace.NewProbe("onconc:p")
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
					p.EmitContext(context.Background(), "n", 1)
				}
			}
		}()
	}
	for range 50 {
		var after, stopped atomic.Bool
		stop, err := jstrace.On("onconc:*", func(jstrace.Event) {
			if stopped.Load() {
				after.Store(true)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		stop()
		stopped.Store(true)
		if after.Load() {
			t.Error("a call started after unsubscribe returned")
		}
	}
	close(done)
	wg.Wait()
}

func TestAllocsOn(t *testing.T) {
	p := jstrace.NewProbe("onalloc:p")
	total := 0
	stop, err := jstrace.On("onalloc:*", func(e jstrace.Event) {
		kv, _ := e.Args()
		total += len(kv) + len(e.RequestID()) + len(e.Name())
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ctx := jstrace.WithRequestID(context.Background(), "r")
	n := 0
	got := testing.AllocsPerRun(1000, func() {
		n++
		p.EmitContext(ctx, "n", n, "s", "x")
	})
	if got != 0 || total == 0 {
		t.Fatalf("EmitContext to an On subscriber: %v allocs per call (%d seen)", got, total)
	}
}

func ExampleOn() {
	queries := jstrace.NewChannel("shop:db")

	unsubscribe, err := jstrace.On("shop:*,-shop:*:start", func(e jstrace.Event) {
		kv, _ := e.Args() // request_id, duration, then the caller's fields
		fmt.Println(e.RequestID(), e.Name(), kv[0], kv[4:])
	})
	if err != nil {
		panic(err)
	}
	defer unsubscribe()

	ctx := jstrace.WithRequestID(context.Background(), "req-42")
	op := queries.Start(ctx, "table", "orders")
	op.End("rows", 3)
	// Output:
	// req-42 shop:db:end request_id [rows 3]
}
