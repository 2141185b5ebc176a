package engine

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/jstrace-go/jstrace/internal/match"
	"github.com/jstrace-go/jstrace/script"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type fakeOutput struct {
	mu       sync.Mutex
	emits    []string
	printed  strings.Builder
	faults   []string
	subs     []string
	subCalls int
	detached []string
}

func (o *fakeOutput) Emit(name string, kv []any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.emits = append(o.emits, name)
}
func (o *fakeOutput) Print(stream byte, text string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.printed.WriteString(text)
}
func (o *fakeOutput) Fault(msg string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.faults = append(o.faults, msg)
}
func (o *fakeOutput) Detach(reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.detached = append(o.detached, reason)
}

func (o *fakeOutput) Subscribed(set *match.Set) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.subs = set.Patterns()
	o.subCalls++
}

const src = `package main

import (
	"fmt"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	n := 0
	traces.On("request:*", func(t *script.Trace) {
		n++
		if t.Name == "request:bad" {
			var m map[string]int
			m["x"] = 1
		}
		traces.Emit("seen", "n", n)
	})
	traces.Every(20*time.Millisecond, func() { traces.Emit("tick") })
	traces.OnCleanup(func() { fmt.Println("cleanup saw", n) })
}
`

func TestEngine(t *testing.T) {
	out := &fakeOutput{}
	e, err := Start("s.go", []byte(src), Remote, out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !e.Wants("request:end") || e.Wants("db:query") {
		t.Errorf("Wants: patterns %v", e.Patterns())
	}
	if err := e.Dispatch(Batch{Traces: []*script.Trace{{Name: "request:start"}, {Name: "request:bad"}, {Name: "other"}}}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(70 * time.Millisecond)
	if e.Stop(within(t, 5*time.Second)) != nil {
		t.Fatal("Stop timed out")
	}
	out.mu.Lock()
	defer out.mu.Unlock()
	if got := out.printed.String(); got != "cleanup saw 2\n" {
		t.Errorf("printed %q", got)
	}
	if len(out.faults) != 1 || !strings.Contains(out.faults[0], `handler for "request:*": panic in main.Remote.func at s.go:13:3`) || !strings.Contains(out.faults[0], "assignment to entry in nil map") {
		t.Errorf("faults %q", out.faults)
	}
	seen, ticks := 0, 0
	for _, name := range out.emits {
		switch name {
		case "seen":
			seen++
		case "tick":
			ticks++
		}
	}
	if seen != 1 || ticks < 2 {
		t.Errorf("emits %v", out.emits)
	}
	if e.Faults() != 1 {
		t.Errorf("Faults = %d", e.Faults())
	}
	if err := e.Dispatch(Batch{}); err != ErrStopped {
		t.Errorf("Dispatch after Stop = %v", err)
	}
}

func TestStartReportsEntryPanic(t *testing.T) {
	bad := strings.Replace(src, "n := 0", "var m map[int]int; m[1] = 1; n := 0", 1)
	_, err := Start("s.go", []byte(bad), Remote, &fakeOutput{}, Options{})
	if err == nil || !strings.Contains(err.Error(), "s.go:11:") || !strings.Contains(err.Error(), "nil map") {
		t.Fatalf("err = %v", err)
	}
}

func TestDispatchDropsWhenFull(t *testing.T) {
	slow := strings.Replace(src, "n++", "n++; for i := 0; i < 2000000; i++ {}", 1)
	e, err := Start("s.go", []byte(slow), Remote, &fakeOutput{}, Options{MaxPending: 1})
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		e.Dispatch(Batch{Traces: []*script.Trace{{Name: "request:x"}}})
	}
	if e.Dropped() == 0 {
		t.Error("nothing dropped with a queue of one and a slow handler")
	}
	e.Stop(context.Background())
}

// within returns a context that expires after d, cancelled when the test
// ends.
func within(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Every's callbacks run once more when the session ends, before the
// cleanups: a session shorter than the period still reports (unless
// shorter than a tenth of it: TestVirtualClock has the cases).
func TestEveryFinalRun(t *testing.T) {
	const src = `package main

import (
	"fmt"
	"time"

	"github.com/jstrace-go/jstrace/script"
)

func Remote(traces *script.Traces) {
	n := 0
	traces.Every(time.Second, func() { n++; fmt.Println("every", n) })
	traces.OnCleanup(func() { fmt.Println("cleanup after", n) })
}
`
	out := &fakeOutput{}
	e, err := Start("s.go", []byte(src), Remote, out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // a fifth of the period: worth a last call
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	out.mu.Lock()
	defer out.mu.Unlock()
	if got, want := out.printed.String(), "every 1\ncleanup after 1\n"; got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
}
